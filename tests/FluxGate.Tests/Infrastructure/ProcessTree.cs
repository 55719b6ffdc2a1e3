namespace FluxGate.Tests.Infrastructure;

/// <summary>A process and its descendants, read from /proc: what a crash of a resource takes down.</summary>
internal static class ProcessTree
{
    public const int SigCont = 18;
    public const int SigStop = 19;

    private const int NoSuchProcess = 3; // ESRCH

    /// <summary>Sends a signal (Linux numbers) to one process; one that has exited meanwhile is skipped.</summary>
    public static void Signal(int pid, int signal)
    {
        if (kill(pid, signal) != 0 && System.Runtime.InteropServices.Marshal.GetLastPInvokeError() is var errno && errno != NoSuchProcess)
        {
            throw new InvalidOperationException($"kill({pid}, {signal}) failed: errno {errno}");
        }
    }

    [System.Runtime.InteropServices.DllImport("libc", SetLastError = true)]
    private static extern int kill(int pid, int signal);

    public static void Kill(int root)
    {
        foreach (var pid in DescendantsOf(root).Prepend(root))
        {
            try
            {
                System.Diagnostics.Process.GetProcessById(pid).Kill();
            }
            catch (ArgumentException)
            {
                // Already gone.
            }
            catch (InvalidOperationException)
            {
            }
        }
    }

    public static List<int> DescendantsOf(int root)
    {
        var parents = new Dictionary<int, int>();
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(directory), out var pid) && ParentOf(directory) is { } parent)
            {
                parents[pid] = parent;
            }
        }
        var descendants = new List<int>();
        var frontier = new Queue<int>([root]);
        while (frontier.TryDequeue(out var current))
        {
            foreach (var (child, _) in parents.Where(entry => entry.Value == current))
            {
                descendants.Add(child);
                frontier.Enqueue(child);
            }
        }
        return descendants;
    }

    public static string CommandLine(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ');
        }
        catch (IOException)
        {
            return "";
        }
    }

    /// <summary>Running and not a zombie (exited, not yet reaped by its parent).</summary>
    public static bool IsRunning(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)] != 'Z';
        }
        catch (IOException)
        {
            return false;
        }
    }

    private static int? ParentOf(string processDirectory)
    {
        try
        {
            // /proc/<pid>/stat: "pid (comm) state ppid …"; comm may hold spaces and parentheses.
            var stat = File.ReadAllText(Path.Combine(processDirectory, "stat"));
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return int.Parse(fields[1], System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (IOException)
        {
            return null;
        }
    }
}
