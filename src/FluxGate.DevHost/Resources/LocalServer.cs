using FluxGate.DevHost.Processes;

namespace FluxGate.DevHost.Resources;

/// <summary>
/// A server binary run as a child process on one loopback port that stays the same across stop and start (tests stop
/// and restart a server and expect clients to find it again). When no port is configured, a free one is picked, and
/// the first start retries on another port if the server loses the race for it.
/// </summary>
public abstract class LocalServer : IAsyncDisposable
{
    private const int FirstStartAttempts = 3;

    private readonly bool _portIsConfigured;
    private readonly Action<ProcessIdentity>? _onProcessStarted;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private ChildProcess? _process;
    private bool _disposed;

    protected LocalServer(string name, int? port, TimeSpan startTimeout, Action<string, bool>? onOutput,
        Action<ProcessIdentity>? onProcessStarted)
    {
        _onProcessStarted = onProcessStarted;
        Name = name;
        _portIsConfigured = port is not null;
        Port = port ?? Ports.GetFreePort();
        StartTimeout = startTimeout;
        OnOutput = onOutput;
    }

    public string Name { get; }

    public int Port { get; private set; }

    public bool IsRunning => _process is { HasExited: false };

    /// <summary>The running server's process (pid, start time, command line); null when stopped.</summary>
    public ProcessIdentity? Identity => IsRunning ? _process!.Identity : null;

    /// <summary>Text that the server's command line keeps while it runs, to recognise it after a crash of its host.</summary>
    public abstract string CommandLineMarker { get; }

    protected TimeSpan StartTimeout { get; }

    protected Action<string, bool>? OnOutput { get; }

    /// <summary>Starts the server (again, on the same port and data) and waits until it answers.</summary>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (IsRunning)
            {
                return;
            }
            await StartCoreAsync(firstStart: false, cancellationToken);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Graceful stop (the server's own shutdown signal), SIGKILL after a grace period.</summary>
    public Task StopAsync() => EndAsync(process => process.StopAsync(StopSignal, TimeSpan.FromSeconds(30)));

    /// <summary>SIGKILL, as in a crash: no shutdown work, stale lock files left behind.</summary>
    public Task KillAsync() => EndAsync(process => process.KillAsync());

    private async Task EndAsync(Func<ChildProcess, Task> end)
    {
        await _gate.WaitAsync();
        try
        {
            if (_process is { } process)
            {
                await end(process);
                await process.DisposeAsync();
                _process = null;
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }
        await StopAsync();
        _disposed = true;
        await OnDisposedAsync();
        GC.SuppressFinalize(this);
    }

    protected async Task FirstStartAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            await StartCoreAsync(firstStart: true, cancellationToken);
        }
        finally
        {
            _gate.Release();
        }
    }

    protected virtual int StopSignal => Posix.SIGTERM;

    private const int TransientRetryLimit = 20;

    /// <summary>
    /// True when the server refused to start because of something that clears up by itself (e.g. workers of a killed
    /// predecessor still exiting): the start is retried on the same port.
    /// </summary>
    protected virtual bool IsTransientStartFailure(string recentOutput) => false;

    /// <summary>Work before each start (e.g. removing a stale lock file).</summary>
    protected virtual Task PrepareStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    protected abstract ChildProcessSpec CreateProcessSpec(int port);

    /// <summary>One readiness probe; false (or an exception) means "not yet".</summary>
    protected abstract Task<bool> IsReadyAsync(CancellationToken cancellationToken);

    /// <summary>Work after the first successful start (e.g. creating a database).</summary>
    protected virtual Task OnFirstReadyAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    protected virtual Task OnDisposedAsync() => Task.CompletedTask;

    private async Task StartCoreAsync(bool firstStart, CancellationToken cancellationToken)
    {
        var attempts = firstStart && !_portIsConfigured ? FirstStartAttempts : 1;
        var transientRetries = 0;
        for (var attempt = 1; ; attempt++)
        {
            if (firstStart && _portIsConfigured)
            {
                Ports.EnsureFree(Port, Name, "Choose another port or stop what listens there.");
            }
            await PrepareStartAsync(cancellationToken);
            var process = ChildProcess.Start(CreateProcessSpec(Port));
            if (process.Identity is { } identity)
            {
                _onProcessStarted?.Invoke(identity);
            }
            var failure = await WaitUntilReadyAsync(process, cancellationToken);
            if (failure is null)
            {
                _process = process;
                if (firstStart)
                {
                    await OnFirstReadyAsync(cancellationToken);
                }
                return;
            }

            await process.DisposeAsync();
            if (failure.ExitedEarly && IsTransientStartFailure(process.RecentOutput()) && transientRetries++ < TransientRetryLimit)
            {
                attempt--; // same port: what was in the way is going away
                await Task.Delay(TimeSpan.FromMilliseconds(500), cancellationToken);
                continue;
            }
            if (attempt >= attempts || !failure.ExitedEarly)
            {
                throw new InvalidOperationException(
                    $"{Name} did not start on 127.0.0.1:{Port}: {failure.Reason}. Its last output:{Environment.NewLine}{process.RecentOutput()}");
            }
            Port = Ports.GetFreePort(); // lost the race for a free port to another process; try another
        }
    }

    private sealed record StartFailure(string Reason, bool ExitedEarly);

    private async Task<StartFailure?> WaitUntilReadyAsync(ChildProcess process, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + StartTimeout;
        while (DateTime.UtcNow < deadline)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (process.HasExited)
            {
                return new StartFailure($"it exited with code {await process.Exited}", ExitedEarly: true);
            }
            try
            {
                if (await IsReadyAsync(cancellationToken))
                {
                    return null;
                }
            }
            catch (Exception exception) when (exception is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                // not listening yet
            }
            await Task.WhenAny(process.Exited, Task.Delay(100, cancellationToken));
        }
        return new StartFailure($"it did not answer within {StartTimeout.TotalSeconds:0} s", ExitedEarly: false);
    }
}
