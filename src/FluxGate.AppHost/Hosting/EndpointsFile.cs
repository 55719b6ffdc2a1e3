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
            foreach (var service in ResourceNames.Services)
            {
                await notifications.WaitForResourceHealthyAsync(service, stoppingToken);
            }
            var file = await DescribeAsync(stoppingToken);
            await File.WriteAllTextAsync(state.EndpointsFile, file.ToJsonString(Indented), stoppingToken);
            logger.LogInformation(
                "FluxGate is ready: api {Api}, waiting room {WaitingRoom}, persister {Persister}. Endpoints: {File}. Dashboard: {Dashboard}",
                file[ResourceNames.Api], file[ResourceNames.WaitingRoom], file[ResourceNames.Persister], state.EndpointsFile, file["dashboard"] ?? "(off)");
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

    private async Task<JsonObject> DescribeAsync(CancellationToken cancellationToken)
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
        return file;
    }

    /// <summary>The dashboard's address with its one-time login token (as Aspire prints it), or null without a dashboard.</summary>
    private string? DashboardLogin()
    {
        var url = configuration["ASPNETCORE_URLS"]?.Split(';', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault();
        if (url is null || configuration.GetValue("DOTNET_DASHBOARD_DISABLED", false))
        {
            return null;
        }
        var token = configuration["AppHost:BrowserToken"];
        return string.IsNullOrEmpty(token) ? url : $"{url.TrimEnd('/')}/login?t={token}";
    }
}
