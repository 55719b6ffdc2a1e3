namespace FluxGate.DevHost.Processes;

internal static class RunToCompletion
{
    /// <summary>Runs a one-shot command and fails with its output when it does not exit with 0.</summary>
    public static async Task RunAsync(ChildProcessSpec spec, TimeSpan timeout, CancellationToken cancellationToken)
    {
        await using var process = ChildProcess.Start(spec);
        if (!await process.WaitForExitAsync(timeout, cancellationToken))
        {
            throw new InvalidOperationException(
                $"{spec.Name} did not finish within {timeout.TotalSeconds:0} s. Its last output:{Environment.NewLine}{process.RecentOutput()}");
        }
        var exitCode = await process.Exited;
        if (exitCode != 0)
        {
            throw new InvalidOperationException(
                $"{spec.Name} failed with exit code {exitCode}:{Environment.NewLine}{process.RecentOutput()}");
        }
    }
}
