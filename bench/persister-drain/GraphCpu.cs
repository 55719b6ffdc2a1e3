/// <summary>
/// CPU time of the processes a drain costs, from <c>/proc/&lt;pid&gt;/stat</c> (utime+stime), as
/// <c>bench/harness/procstat.py</c> reads them: the persister process itself (not the <c>dotnet run</c> that starts
/// it), PostgreSQL (the postmaster, every live backend, and the backends it has reaped), and this process (the AppHost,
/// which hosts the mock broker, or the writer under <c>--writer-only</c>). Linux only.
/// </summary>
internal static class GraphCpu
{
    /// <summary>USER_HZ: the unit of /proc's CPU times, 100 on every architecture .NET runs on.</summary>
    private const double TicksPerSecond = 100;

    public static bool IsAvailable => OperatingSystem.IsLinux();

    /// <summary>CPU seconds used so far by each part, and by the whole machine.</summary>
    public static CpuSnapshot Snapshot()
    {
        int? persister = null, postmaster = null;
        // Aspire's orchestrator is not a descendant of this process (it is re-parented to init); it names this process
        // with --monitor, and every resource of the graph is one of its descendants.
        foreach (var root in OrchestratorRoots(Environment.ProcessId))
        {
            foreach (var pid in Descendants(root))
            {
                if (Stat(pid) is not { } stat)
                {
                    continue;
                }
                if (Path.GetFileName(Argv0(pid)) == "FluxGate.Persister")
                {
                    persister = pid;
                }
                else if (stat.Command == "postgres" && Stat(stat.Parent)?.Command != "postgres")
                {
                    postmaster = pid;
                }
            }
        }
        return new CpuSnapshot(
            Persister: persister is { } p ? Seconds(Stat(p)?.OwnTicks ?? 0) : null,
            Postgres: postmaster is { } server
                ? Seconds((Stat(server)?.TicksWithReapedChildren ?? 0) + Descendants(server).Sum(pid => Stat(pid)?.OwnTicks ?? 0))
                : null,
            Bench: Seconds(Stat(Environment.ProcessId)?.OwnTicks ?? 0),
            Machine: Seconds(MachineBusyTicks()));
    }

    private static double Seconds(long ticks) => ticks / TicksPerSecond;

    private static IEnumerable<int> OrchestratorRoots(int appHostPid)
    {
        var monitored = appHostPid.ToString(System.Globalization.CultureInfo.InvariantCulture);
        foreach (var pid in AllPids())
        {
            var args = Argv(pid);
            if (args.Length == 0 || Path.GetFileName(args[0]) != "dcp")
            {
                continue;
            }
            for (var i = 0; i < args.Length; i++)
            {
                if (args[i] == $"--monitor={monitored}" || args[i] == "--monitor" && i + 1 < args.Length && args[i + 1] == monitored)
                {
                    yield return pid;
                    break;
                }
            }
        }
    }

    private static List<int> Descendants(int root)
    {
        var children = new Dictionary<int, List<int>>();
        foreach (var pid in AllPids())
        {
            if (Stat(pid) is { } stat)
            {
                (children.TryGetValue(stat.Parent, out var list) ? list : children[stat.Parent] = []).Add(pid);
            }
        }
        var found = new List<int>();
        var queue = new Queue<int>([root]);
        while (queue.TryDequeue(out var pid))
        {
            foreach (var child in children.GetValueOrDefault(pid) ?? [])
            {
                found.Add(child);
                queue.Enqueue(child);
            }
        }
        return found;
    }

    private static IEnumerable<int> AllPids() =>
        Directory.EnumerateDirectories("/proc").Select(Path.GetFileName).Select(name => int.TryParse(name, out var pid) ? pid : 0).Where(pid => pid > 0);

    private static ProcessStat? Stat(int pid)
    {
        string text;
        try
        {
            text = File.ReadAllText($"/proc/{pid}/stat");
        }
        catch (IOException)
        {
            return null; // gone meanwhile
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
        // The command may hold spaces and parentheses: the fields after it start behind the last ')'.
        var close = text.LastIndexOf(')');
        var fields = text[(close + 2)..].Split(' ');
        // fields[0] is the state (field 3 of stat): ppid is field 4, utime 14, stime 15, cutime 16, cstime 17.
        long Field(int number) => long.Parse(fields[number - 3], System.Globalization.CultureInfo.InvariantCulture);
        return new ProcessStat(text[(text.IndexOf('(') + 1)..close], (int)Field(4), Field(14) + Field(15), Field(14) + Field(15) + Field(16) + Field(17));
    }

    private static string[] Argv(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/cmdline").Split('\0', StringSplitOptions.RemoveEmptyEntries);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            return [];
        }
    }

    private static string Argv0(int pid) => Argv(pid) is [var first, ..] ? first : "";

    /// <summary>user + nice + system + irq + softirq + steal of the first line of /proc/stat.</summary>
    private static long MachineBusyTicks()
    {
        var fields = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries)[1..]
            .Select(field => long.Parse(field, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        return fields[0] + fields[1] + fields[2] + fields[5] + fields[6] + fields[7];
    }

    private sealed record ProcessStat(string Command, int Parent, long OwnTicks, long TicksWithReapedChildren);
}

/// <summary>CPU seconds since each process started (the machine: since boot); null when the process was not found.</summary>
internal sealed record CpuSnapshot(double? Persister, double? Postgres, double Bench, double Machine)
{
    /// <summary>µs of CPU per order of each part between two snapshots.</summary>
    public CpuPerOrder PerOrderSince(CpuSnapshot start, int orders)
    {
        double? PerOrder(double? before, double? after) => before is { } b && after is { } a ? (a - b) * 1e6 / orders : null;
        var persister = PerOrder(start.Persister, Persister);
        var postgres = PerOrder(start.Postgres, Postgres);
        var bench = PerOrder(start.Bench, Bench)!.Value;
        var machine = PerOrder(start.Machine, Machine)!.Value;
        return new CpuPerOrder(persister, postgres, bench, Math.Max(0, machine - (persister ?? 0) - (postgres ?? 0) - bench));
    }
}

/// <summary>µs of CPU per order; <paramref name="Other"/> is what the rest of the machine used meanwhile (a shared box).</summary>
internal sealed record CpuPerOrder(double? Persister, double? Postgres, double Bench, double Other);
