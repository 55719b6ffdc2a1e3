using System.Text;

namespace FluxGate.DevHost.Cli;

/// <summary>The table printed once the graph is healthy.</summary>
internal static class StartupReport
{
    public static string Render(FluxGateApp app, DevHostOptions options, string endpointsFile, TimeSpan elapsed)
    {
        var rows = new List<(string Name, string Where, string What)>();
        foreach (var service in ResourceNames.Services)
        {
            if (app.Endpoints.TryGetValue(service, out var url))
            {
                rows.Add((service, url.ToString().TrimEnd('/'), "healthy (/health)"));
            }
        }
        rows.Add((ResourceNames.Redis, app.GetConnectionString(ResourceNames.Redis),
            app.Redis is { } redis ? $"redis-server, pid {redis.Identity?.Pid}" : "external"));
        rows.Add((ResourceNames.Kafka, app.GetConnectionString(ResourceNames.Kafka),
            app.Kafka is not null ? "librdkafka mock cluster in the DevHost (in memory)" : "external"));
        rows.Add((ResourceNames.Database, app.GetConnectionString(ResourceNames.Database),
            app.Postgres is { } postgres ? $"PostgreSQL, pid {postgres.Identity?.Pid}, data in {postgres.DataDirectory}" : "external"));

        var nameWidth = rows.Max(row => row.Name.Length) + 2;
        var whereWidth = rows.Max(row => row.Where.Length) + 2;
        var text = new StringBuilder()
            .AppendLine()
            .AppendLine($"FluxGate is up ({elapsed.TotalSeconds:0.0} s), environment {options.EnvironmentName}:")
            .AppendLine();
        foreach (var (name, where, what) in rows)
        {
            text.AppendLine($"  {name.PadRight(nameWidth)}{where.PadRight(whereWidth)}{what}");
        }
        text.AppendLine()
            .AppendLine($"  admin key   {app.AdminApiKey ?? (options.EnvironmentName == "Development"
                ? "none — /init is open in Development"
                : $"none — /init is closed in {options.EnvironmentName} (use --admin-api-key)")}")
            .AppendLine($"  endpoints   {endpointsFile}")
            .AppendLine()
            .Append("Press Ctrl+C to stop everything.");
        return text.ToString();
    }
}
