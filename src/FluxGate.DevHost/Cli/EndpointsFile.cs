using System.Text.Json;
using System.Text.Json.Nodes;

namespace FluxGate.DevHost.Cli;

/// <summary>
/// <c>.fluxgate/endpoints.json</c>: where the running graph is, for scripts and benchmarks:
/// <c>{"api","waitingroom","persister","connectionStrings":{"redis","kafka","fluxgate"},"adminApiKey"}</c>.
/// </summary>
internal static class EndpointsFile
{
    public static string Write(FluxGateApp app, string stateDirectory)
    {
        var document = new JsonObject();
        foreach (var service in ResourceNames.Services)
        {
            document[service] = app.Endpoints.TryGetValue(service, out var url) ? url.ToString().TrimEnd('/') : null;
        }
        var connectionStrings = new JsonObject();
        foreach (var name in new[] { ResourceNames.Redis, ResourceNames.Kafka, ResourceNames.Database })
        {
            connectionStrings[name] = app.ConnectionStrings.GetValueOrDefault(name);
        }
        document["connectionStrings"] = connectionStrings;
        document["adminApiKey"] = app.AdminApiKey;
        document["devHostPid"] = Environment.ProcessId;

        var path = Path.Combine(stateDirectory, "endpoints.json");
        File.WriteAllText(path, document.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + Environment.NewLine);
        return path;
    }
}
