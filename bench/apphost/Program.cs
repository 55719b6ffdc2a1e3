// The FluxGate graph for the benchmarks: FluxGate.AppHost's graph in this process, without the dashboard and without
// OTLP export (BenchGraph.cs says why and what else differs from ./run.sh). Arguments are AppHost switches, as
// ./run.sh passes them: --FluxGate:StateDirectory=DIR --FluxGate:Ports:Api=0 --FluxGate:Settings:api:Key=Value …
// Once every service is healthy the AppHost writes <state dir>/endpoints.json (appHostPid = this process). Each
// resource's output is written as "[resource] line". SIGINT/SIGTERM stop the graph; the exit code is 1 when it did
// not come up.
using System.Text.RegularExpressions;
using FluxGate.AppHost;
using FluxGate.Bench;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

var startTimeout = TimeSpan.FromMinutes(5);
var builder = await BenchGraph.CreateBuilderAsync(args, without: [], CancellationToken.None);
builder.Services.AddLogging(logging => logging.ClearProviders().AddOneLineConsole());
await using var app = await builder.BuildAsync();
var lifetime = app.Services.GetRequiredService<IHostApplicationLifetime>();
var output = new object();
BenchGraph.ForwardLogs(app, (resource, line, _) =>
{
    lock (output)
    {
        // Aspire lets the services colour their console output; a log file reads better without.
        Console.Out.WriteLine($"[{resource}] {Ansi().Replace(line, "")}");
    }
}, lifetime.ApplicationStopped);

try
{
    await BenchGraph.StartAsync(app, ResourceNames.Services, startTimeout, lifetime.ApplicationStopping);
}
catch (OperationCanceledException) when (lifetime.ApplicationStopping.IsCancellationRequested)
{
    // SIGINT/SIGTERM while starting: stop below.
}
catch (Exception exception)
{
    Console.Error.WriteLine($"[apphost] {exception.Message}");
    await app.StopAsync();
    return 1;
}
await app.WaitForShutdownAsync();
return 0;

internal partial class Program
{
    [GeneratedRegex(@"\x1B\[[0-9;]*m")]
    private static partial Regex Ansi();
}
