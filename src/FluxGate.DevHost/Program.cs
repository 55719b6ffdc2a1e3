using System.Diagnostics;
using System.Runtime.InteropServices;
using FluxGate.DevHost;
using FluxGate.DevHost.Cli;
using FluxGate.DevHost.Services;

// dotnet run --project src/FluxGate.DevHost: the whole graph until Ctrl+C (or SIGTERM), then nothing left running.
CommandLine commandLine;
try
{
    commandLine = CommandLine.Parse(args, Environment.GetEnvironmentVariable, ServiceProjects.RepositoryRoot);
}
catch (ArgumentException exception)
{
    Console.Error.WriteLine(exception.Message);
    return 2;
}
if (commandLine.ShowHelp)
{
    Console.WriteLine(CommandLine.Usage);
    return 0;
}

var console = new ConsoleOutput();
using var shutdown = new CancellationTokenSource();
var signals = 0;
void OnSignal(PosixSignalContext context)
{
    context.Cancel = true; // we stop the children ourselves, then exit
    if (Interlocked.Increment(ref signals) == 1)
    {
        console.WriteBlock($"{Environment.NewLine}{context.Signal}: stopping the services, then the servers…", ConsoleColor.Yellow);
        shutdown.Cancel();
    }
    else
    {
        console.WriteBlock("Still stopping (each process gets SIGKILL after its grace period)…", ConsoleColor.Yellow);
    }
}
using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
using var sighup = PosixSignalRegistration.Create(PosixSignal.SIGHUP, OnSignal);

var options = commandLine.Options with { OnLog = console.Write };
var stopwatch = Stopwatch.StartNew();
FluxGateApp app;
try
{
    app = await FluxGateApp.StartAsync(options, shutdown.Token);
}
catch (OperationCanceledException) when (shutdown.IsCancellationRequested)
{
    console.WriteBlock("Stopped before the graph was up.", ConsoleColor.Yellow);
    return 130;
}
catch (Exception exception) when (exception is InvalidOperationException or TimeoutException or ArgumentException or AggregateException or DllNotFoundException)
{
    console.WriteBlock($"FluxGate did not start:{Environment.NewLine}{exception.Message}", ConsoleColor.Red);
    return 1;
}

await using (app)
{
    var endpointsFile = EndpointsFile.Write(app, app.StateDirectory);
    console.WriteBlock(StartupReport.Render(app, options, endpointsFile, stopwatch.Elapsed), ConsoleColor.Green);
    try
    {
        await Task.Delay(Timeout.Infinite, shutdown.Token);
    }
    catch (OperationCanceledException)
    {
    }
    File.Delete(endpointsFile); // the graph is going away: no stale endpoints for scripts
}
console.WriteBlock("All FluxGate processes stopped.", ConsoleColor.Yellow);
return 0;
