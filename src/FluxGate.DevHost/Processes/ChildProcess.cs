using System.Diagnostics;

namespace FluxGate.DevHost.Processes;

/// <summary>What to run, and where its output goes.</summary>
public sealed record ChildProcessSpec(string Name, string FileName, IReadOnlyList<string> Arguments)
{
    public string? WorkingDirectory { get; init; }

    /// <summary>Variables to set (or, with a null value, to remove) on top of this process's environment.</summary>
    public IReadOnlyDictionary<string, string?> Environment { get; init; } = new Dictionary<string, string?>();

    /// <summary>Each output line as it arrives; the flag is true for standard error.</summary>
    public Action<string, bool>? OnOutput { get; init; }
}

/// <summary>
/// A child process in its own session and process group (started through <c>setsid</c>), so that a Ctrl+C in the terminal
/// reaches only the DevHost, which then stops the children in order, and so that a stop reaches the whole tree
/// (PostgreSQL's backends too). Keeps its last output lines for error messages.
/// </summary>
public sealed class ChildProcess : IAsyncDisposable
{
    private const int RecentLineCount = 60;
    private const string SetsidPath = "/usr/bin/setsid";

    private readonly Process _process;
    private readonly TaskCompletionSource<int> _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Queue<string> _recentLines = new();

    private ChildProcess(ChildProcessSpec spec)
    {
        Name = spec.Name;
        var startInfo = new ProcessStartInfo
        {
            WorkingDirectory = spec.WorkingDirectory ?? System.Environment.CurrentDirectory,
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            // A pipe instead of the terminal: a .NET child that sees a terminal on stdin changes its settings (echo).
            RedirectStandardInput = true,
        };
        if (File.Exists(SetsidPath))
        {
            startInfo.FileName = SetsidPath;
            startInfo.ArgumentList.Add(spec.FileName);
        }
        else
        {
            startInfo.FileName = spec.FileName;
        }
        foreach (var argument in spec.Arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }
        foreach (var (key, value) in spec.Environment)
        {
            if (value is null)
            {
                startInfo.Environment.Remove(key);
            }
            else
            {
                startInfo.Environment[key] = value;
            }
        }

        _process = new Process { StartInfo = startInfo, EnableRaisingEvents = true };
        _process.OutputDataReceived += (_, line) => OnLine(line.Data, isError: false, spec.OnOutput);
        _process.ErrorDataReceived += (_, line) => OnLine(line.Data, isError: true, spec.OnOutput);
        _process.Exited += (_, _) => _ = CompleteExitAsync();
    }

    public string Name { get; }

    public int Pid { get; private set; }

    /// <summary>Start time and command line, for the pid file that lets a later run clean up after a crash.</summary>
    public ProcessIdentity? Identity { get; private set; }

    public bool HasExited => _exited.Task.IsCompleted;

    /// <summary>Completes with the exit code when the process exits (128 + signal number when a signal ended it).</summary>
    public Task<int> Exited => _exited.Task;

    public static ChildProcess Start(ChildProcessSpec spec)
    {
        var child = new ChildProcess(spec);
        try
        {
            child._process.Start();
        }
        catch (System.ComponentModel.Win32Exception exception)
        {
            child._process.Dispose();
            throw new InvalidOperationException($"Cannot start {spec.Name} ({spec.FileName}): {exception.Message}", exception);
        }
        child.Pid = child._process.Id;
        child._process.BeginOutputReadLine();
        child._process.BeginErrorReadLine();
        child._process.StandardInput.Close();
        child.Identity = ProcessIdentity.TryRead(child.Pid);
        return child;
    }

    /// <summary>The last lines the process wrote, oldest first, for error messages.</summary>
    public string RecentOutput()
    {
        lock (_recentLines)
        {
            return _recentLines.Count == 0 ? "(no output)" : string.Join(System.Environment.NewLine, _recentLines);
        }
    }

    /// <summary>Sends <paramref name="signal"/> to the process itself (not its group: a server stops its own children).</summary>
    public void Signal(int signal)
    {
        if (!HasExited)
        {
            Posix.Signal(Pid, signal);
        }
    }

    /// <summary>True when the process exited within <paramref name="timeout"/>.</summary>
    public async Task<bool> WaitForExitAsync(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        try
        {
            await _exited.Task.WaitAsync(timeout, cancellationToken);
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
    }

    /// <summary>Asks the process to stop with <paramref name="signal"/>; after <paramref name="grace"/>, kills its group.</summary>
    public async Task StopAsync(int signal, TimeSpan grace)
    {
        Signal(signal);
        if (!await WaitForExitAsync(grace))
        {
            await KillAsync();
        }
        // Anything else still in its group goes too (PostgreSQL backends are not: they leave it, and exit when their postmaster does).
        Posix.SignalGroup(Pid, Posix.SIGKILL);
    }

    /// <summary>SIGKILL to the whole group, then waits until the process is gone.</summary>
    public async Task KillAsync()
    {
        Posix.SignalGroup(Pid, Posix.SIGKILL);
        if (!await WaitForExitAsync(TimeSpan.FromSeconds(30)))
        {
            throw new InvalidOperationException($"{Name} (pid {Pid}) did not exit after SIGKILL.");
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!HasExited)
        {
            await KillAsync();
        }
        _process.Dispose();
    }

    private void OnLine(string? line, bool isError, Action<string, bool>? forward)
    {
        if (line is null)
        {
            return;
        }
        lock (_recentLines)
        {
            _recentLines.Enqueue(line);
            if (_recentLines.Count > RecentLineCount)
            {
                _recentLines.Dequeue();
            }
        }
        forward?.Invoke(line, isError);
    }

    /// <summary>
    /// Completes <see cref="Exited"/> once the output is read to its end, so the last lines are forwarded and in
    /// <see cref="RecentOutput"/>; capped, because a grandchild (a PostgreSQL backend) may hold the pipe open.
    /// </summary>
    private async Task CompleteExitAsync()
    {
        try
        {
            using var drain = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            await _process.WaitForExitAsync(drain.Token);
        }
        catch (OperationCanceledException)
        {
        }
        _exited.TrySetResult(SafeExitCode());
    }

    private int SafeExitCode()
    {
        try
        {
            return _process.ExitCode;
        }
        catch (InvalidOperationException)
        {
            return -1;
        }
    }
}
