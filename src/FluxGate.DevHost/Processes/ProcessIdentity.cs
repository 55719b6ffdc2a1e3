namespace FluxGate.DevHost.Processes;

/// <summary>
/// What identifies a process beyond its (reusable) id: its start time in clock ticks since boot and its command line,
/// both from /proc. A recorded identity lets a later run kill exactly the processes an earlier, crashed run left behind.
/// </summary>
public sealed record ProcessIdentity(int Pid, long StartTime, string CommandLine)
{
    public static ProcessIdentity? TryRead(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            // "pid (comm) state ppid …": comm may hold spaces and parentheses, so count fields after the last ')'.
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            var startTime = long.Parse(fields[19], System.Globalization.CultureInfo.InvariantCulture);
            var commandLine = File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ').Trim();
            return new ProcessIdentity(pid, startTime, commandLine);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return null;
        }
    }

    /// <summary>
    /// True when the process with this id is still the one recorded: same start time (a reused pid has another) and its
    /// command line still contains <paramref name="marker"/> (some servers rewrite their title, so not the whole line).
    /// </summary>
    public bool IsStillRunning(string marker) =>
        TryRead(Pid) is { } current
        && current.StartTime == StartTime
        && current.CommandLine.Contains(marker, StringComparison.Ordinal);
}
