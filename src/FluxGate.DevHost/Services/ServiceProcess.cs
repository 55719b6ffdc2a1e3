using System.Net;
using System.Runtime.InteropServices;
using FluxGate.DevHost.Processes;

namespace FluxGate.DevHost.Services;

/// <summary>
/// One FluxGate service (api, persister, waitingroom) run as <c>dotnet &lt;its built dll&gt;</c> on a fixed port,
/// with the configuration the DevHost injects. Started means: its <c>/health</c> answered 200.
/// </summary>
internal sealed class ServiceProcess : IAsyncDisposable
{
    private static readonly HttpClient HealthClient = new(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromSeconds(10) })
    {
        Timeout = TimeSpan.FromSeconds(10),
    };

    private readonly IReadOnlyDictionary<string, string?> _environment;
    private readonly TimeSpan _startTimeout;
    private readonly Action<string, bool> _onOutput;
    private readonly Action<ProcessIdentity> _onProcessStarted;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private ChildProcess? _process;

    public ServiceProcess(string name, int port, string assemblyPath, IReadOnlyDictionary<string, string?> environment,
        TimeSpan startTimeout, Action<string, bool> onOutput, Action<ProcessIdentity> onProcessStarted)
    {
        _onProcessStarted = onProcessStarted;
        Name = name;
        Port = port;
        AssemblyPath = assemblyPath;
        Url = new Uri($"http://127.0.0.1:{port}/");
        _environment = environment;
        _startTimeout = startTimeout;
        _onOutput = onOutput;
    }

    public string Name { get; }

    public int Port { get; }

    public Uri Url { get; }

    public string AssemblyPath { get; }

    public bool IsRunning => _process is { HasExited: false };

    public ProcessIdentity? Identity => IsRunning ? _process!.Identity : null;

    /// <summary>Starts the service and waits until its <c>/health</c> answers 200 (all its dependencies reachable).</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            if (IsRunning)
            {
                return;
            }
            Ports.EnsureFree(Port, Name, "Choose another port (DevHost option or --" + Name + "-port) or stop what listens there.");
            var process = ChildProcess.Start(new ChildProcessSpec(Name, DotnetHost.Path, [AssemblyPath])
            {
                WorkingDirectory = System.IO.Path.GetDirectoryName(AssemblyPath), // content root: its appsettings.json
                Environment = _environment,
                OnOutput = _onOutput,
            });
            if (process.Identity is { } identity)
            {
                _onProcessStarted(identity);
            }
            try
            {
                await WaitUntilHealthyAsync(process, cancellationToken);
            }
            catch
            {
                await process.DisposeAsync();
                throw;
            }
            _process = process;
            _ = ReportUnexpectedExitAsync(process);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>SIGTERM (ASP.NET's graceful shutdown), SIGKILL after a grace period.</summary>
    public Task StopAsync() => EndAsync(process => process.StopAsync(Posix.SIGTERM, TimeSpan.FromSeconds(20)));

    /// <summary>SIGKILL, as in a crash.</summary>
    public Task KillAsync() => EndAsync(process => process.KillAsync());

    private async Task EndAsync(Func<ChildProcess, Task> end)
    {
        await _gate.WaitAsync();
        try
        {
            if (_process is { } process)
            {
                _process = null; // before the exit, so it is not reported as unexpected
                await end(process);
                await process.DisposeAsync();
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    public async ValueTask DisposeAsync() => await StopAsync();

    private async Task ReportUnexpectedExitAsync(ChildProcess process)
    {
        var exitCode = await process.Exited;
        if (ReferenceEquals(_process, process)) // not stopped or killed through this class
        {
            _onOutput($"exited unexpectedly with code {exitCode}", true);
        }
    }

    private async Task WaitUntilHealthyAsync(ChildProcess process, CancellationToken cancellationToken)
    {
        var health = new Uri(Url, "/health");
        var deadline = DateTime.UtcNow + _startTimeout;
        var lastAnswer = "no answer yet";
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (process.HasExited)
            {
                throw new InvalidOperationException(
                    $"{Name} exited with code {await process.Exited} before it was healthy. Its last output:{Environment.NewLine}{process.RecentOutput()}");
            }
            try
            {
                using var response = await HealthClient.GetAsync(health, cancellationToken);
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
                lastAnswer = $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync(cancellationToken)}";
            }
            catch (Exception exception) when (exception is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
            {
                lastAnswer = exception.Message;
            }
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException(
                    $"{Name} was not healthy at {health} within {_startTimeout.TotalSeconds:0} s (last answer: {lastAnswer}). " +
                    $"Its last output:{Environment.NewLine}{process.RecentOutput()}");
            }
            await Task.WhenAny(process.Exited, Task.Delay(200, cancellationToken));
        }
    }
}

/// <summary>The dotnet host that runs this process, to run the services with the same runtime.</summary>
internal static class DotnetHost
{
    public static string Path { get; } = Find();

    private static string Find()
    {
        if (Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } hostPath && File.Exists(hostPath))
        {
            return hostPath;
        }
        // <root>/shared/Microsoft.NETCore.App/<version>/ → <root>/dotnet
        var runtimeDirectory = RuntimeEnvironment.GetRuntimeDirectory();
        var root = System.IO.Path.GetFullPath(System.IO.Path.Combine(runtimeDirectory, "..", "..", ".."));
        var candidate = System.IO.Path.Combine(root, "dotnet");
        return File.Exists(candidate) ? candidate : Executables.FindOnPath("dotnet") ?? "dotnet";
    }
}
