using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using FluxGate.Bench;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

/// <summary>
/// Part of FluxGate.AppHost's graph in this process (PartialGraph.cs: local processes, no dashboard, no OTLP
/// export), in a throw-away state folder; the resources left out are not started. Resources stop and start as the
/// dashboard's Stop and Start do.
/// </summary>
internal sealed class DrainGraph : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(3);

    private readonly DistributedApplication _app;
    private readonly string _stateDirectory;
    private readonly CancellationTokenSource _stopping;

    private DrainGraph(DistributedApplication app, string stateDirectory, CancellationTokenSource stopping)
    {
        _app = app;
        _stateDirectory = stateDirectory;
        _stopping = stopping;
    }

    /// <param name="without">Resources not to start (with their children).</param>
    /// <param name="ready">Resources to wait for until healthy.</param>
    /// <param name="configuration">AppHost configuration, e.g. <c>["FluxGate:Settings:persister:Persister:BatchSize"] = "2000"</c>.</param>
    /// <param name="onLog">Each line a resource writes: resource, text, whether it came from stderr.</param>
    public static async Task<DrainGraph> StartAsync(IReadOnlyCollection<string> without, IEnumerable<string> ready,
        IReadOnlyDictionary<string, string> configuration, Action<string, string, bool> onLog)
    {
        // As root PostgreSQL runs as the postgres user, which must be able to enter the folder (else its data would go
        // to /var/tmp and stay there).
        var state = Directory.CreateTempSubdirectory("fluxgate-drain-");
        if (!OperatingSystem.IsWindows())
        {
            state.UnixFileMode |= UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute;
        }
        var stopping = new CancellationTokenSource();
        DistributedApplication? app = null;
        try
        {
            using var timeout = new CancellationTokenSource(StartTimeout);
            var settings = new Dictionary<string, string>
            {
                ["FluxGate:StateDirectory"] = state.FullName,
                ["FluxGate:Fresh"] = "true",
                ["FluxGate:Environment"] = "Production",
                ["FluxGate:Ports:Api"] = "0",
                ["FluxGate:Ports:Persister"] = "0",
                ["FluxGate:Ports:WaitingRoom"] = "0",
            };
            foreach (var (key, value) in configuration)
            {
                settings[key] = value;
            }
            var builder = await PartialGraph.CreateBuilderAsync(
                [.. settings.Select(setting => $"--{setting.Key}={setting.Value}")], without, timeout.Token);
            // Warnings and errors only, on stderr: stdout is the results table.
            builder.Services.AddLogging(logging => logging.ClearProviders()
                .AddOneLineConsole()
                .AddConsole(options => options.LogToStandardErrorThreshold = LogLevel.Trace)
                .AddFilter("Aspire.Hosting", LogLevel.Warning)
                .AddFilter("FluxGate.AppHost", LogLevel.Warning));
            app = await builder.BuildAsync(timeout.Token);
            PartialGraph.ForwardLogs(app, onLog, stopping.Token);
            await PartialGraph.StartAsync(app, ready, StartTimeout, CancellationToken.None);
            return new DrainGraph(app, state.FullName, stopping);
        }
        catch
        {
            await StopAsync(app, state.FullName, stopping);
            throw;
        }
    }

    public async Task<string> GetConnectionStringAsync(string name) =>
        await _app.GetConnectionStringAsync(name) ?? throw new InvalidOperationException($"{name} has no connection string.");

    /// <summary>Stops a resource as the dashboard's Stop does, and waits until it has.</summary>
    public async Task StopResourceAsync(string name)
    {
        await ExecuteAsync(name, KnownResourceCommands.StopCommand);
        using var timeout = new CancellationTokenSource(StartTimeout);
        await _app.ResourceNotifications.WaitForResourceAsync(name,
            resource => resource.Snapshot.State?.Text is { } state && KnownResourceStates.TerminalStates.Contains(state), timeout.Token);
    }

    /// <summary>True once the resource has stopped, exited or failed to start.</summary>
    public bool HasExited(string name) =>
        _app.ResourceNotifications.TryGetCurrentState(name, out var resource)
        && resource.Snapshot.State?.Text is { } state && KnownResourceStates.TerminalStates.Contains(state);

    /// <summary>Starts a stopped resource and waits until it is no longer stopped; not until it is healthy.</summary>
    public async Task StartResourceAsync(string name)
    {
        await ExecuteAsync(name, KnownResourceCommands.StartCommand);
        using var timeout = new CancellationTokenSource(StartTimeout);
        await _app.ResourceNotifications.WaitForResourceAsync(name,
            resource => resource.Snapshot.State?.Text is { } state && !KnownResourceStates.TerminalStates.Contains(state), timeout.Token);
    }

    public async ValueTask DisposeAsync() => await StopAsync(_app, _stateDirectory, _stopping);

    private async Task ExecuteAsync(string name, string command)
    {
        var result = await _app.ResourceCommands.ExecuteCommandAsync(name, command);
        if (!result.Success)
        {
            throw new InvalidOperationException($"{command} of {name} failed: {result.Message}");
        }
    }

    private static async Task StopAsync(DistributedApplication? app, string stateDirectory, CancellationTokenSource stopping)
    {
        if (app is not null)
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }
        await stopping.CancelAsync();
        stopping.Dispose();
        try
        {
            Directory.Delete(stateDirectory, recursive: true);
        }
        catch (IOException)
        {
            // A server's last write racing the delete: the folder is under /tmp anyway.
        }
    }
}
