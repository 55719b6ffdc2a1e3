using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Hosting;

namespace FluxGate.AppHost.Hosting;

/// <summary>
/// Once every service is healthy, writes <c>endpoints.json</c> in the state folder (for scripts and the bench) and
/// says where everything is; removes it on stop. Run mode only.
/// </summary>
internal sealed class EndpointsFile(
    DistributedApplicationModel model,
    ResourceNotificationService notifications,
    IConfiguration configuration,
    StateDirectory state,
    ILogger<EndpointsFile> logger) : BackgroundService
{
    private static readonly string[] BackingServices = [ResourceNames.Redis, ResourceNames.Kafka, ResourceNames.Database];
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            // Every replica: Aspire's wait by name ends with the first one.
            var replicas = new Dictionary<string, IReadOnlyList<ServiceReplica>>();
            foreach (var service in ResourceNames.Services)
            {
                replicas[service] = await notifications.WaitForReplicasHealthyAsync(Resource(service), stoppingToken);
            }
            var file = await DescribeAsync(replicas, stoppingToken);
            await File.WriteAllTextAsync(state.EndpointsFile, file.ToJsonString(Indented), stoppingToken);
            logger.LogInformation(
                "FluxGate is ready: api {Api}, waiting room {WaitingRoom}, persister {Persister}. Endpoints: {File}. Dashboard: {Dashboard}",
                file[ResourceNames.Api], file[ResourceNames.WaitingRoom], file[ResourceNames.Persister], state.EndpointsFile, file["dashboard"] ?? "(off)");
            foreach (var (service, processes) in replicas.Where(service => service.Value.Count > 1))
            {
                logger.LogInformation("{Service}: {Count} replicas behind {Proxy}: {Replicas}", service, processes.Count, file[service],
                    string.Join(", ", processes.Select(replica => $"{replica.Url} (pid {replica.ProcessId})")));
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        File.Delete(state.EndpointsFile);
        await base.StopAsync(cancellationToken);
    }

    private IResource Resource(string name) => model.Resources.Single(resource => resource.Name == name);

    private async Task<JsonObject> DescribeAsync(Dictionary<string, IReadOnlyList<ServiceReplica>> replicas, CancellationToken cancellationToken)
    {
        var resources = model.Resources.ToDictionary(resource => resource.Name);
        var file = new JsonObject();
        foreach (var service in ResourceNames.Services)
        {
            var endpoint = ((IResourceWithEndpoints)resources[service]).GetEndpoint("http");
            file[service] = endpoint.Url;
        }
        var connectionStrings = new JsonObject();
        foreach (var name in BackingServices)
        {
            connectionStrings[name] = await ((IResourceWithConnectionString)resources[name]).GetConnectionStringAsync(cancellationToken);
        }
        file["connectionStrings"] = connectionStrings;
        file["adminApiKey"] = resources.TryGetValue("admin-api-key", out var key)
            ? await ((ParameterResource)key).GetValueAsync(cancellationToken)
            : null;
        file["dashboard"] = DashboardLogin();
        file["appHostPid"] = Environment.ProcessId;
        // Each process's own address: with replicas, the service's address above is Aspire's proxy in front of them.
        var processes = new JsonObject();
        foreach (var service in ResourceNames.Services)
        {
            processes[service] = new JsonArray([.. replicas[service].Select(replica => JsonValue.Create(replica.Url?.ToString().TrimEnd('/')))]);
        }
        file["replicas"] = processes;
        return file;
    }

    /// <summary>The dashboard's address with its one-time login token (as Aspire prints it), or null without a dashboard.</summary>
    private string? DashboardLogin()
    {
        var url = configuration["ASPNETCORE_URLS"]?.Split(';', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault();
        if (url is null || !configuration.GetValue($"{FluxGateHostOptions.Section}:{nameof(FluxGateHostOptions.Dashboard)}", true))
        {
            return null;
        }
        var token = configuration["AppHost:BrowserToken"];
        return string.IsNullOrEmpty(token) ? url : $"{url.TrimEnd('/')}/login?t={token}";
    }
}
