using System.Text.Json;
using FluxGate.DevHost.Processes;

namespace FluxGate.DevHost.State;

/// <summary>
/// The DevHost's folder: who owns it (owner.json) and which child processes it started (children.json), so that a run
/// after a crash or a kill -9 of the DevHost stops exactly the processes the earlier run left behind, and never a
/// process that merely reuses one of their ids (start time and command line must match too).
/// </summary>
internal sealed class StateDirectory
{
    private const string OwnerFile = "owner.json";
    private const string ChildrenFile = "children.json";
    private const UnixFileMode ReachableMode = // PostgreSQL, run as its own user, must be able to pass through
        UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
        | UnixFileMode.GroupRead | UnixFileMode.GroupExecute
        | UnixFileMode.OtherRead | UnixFileMode.OtherExecute;

    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    private readonly object _gate = new();
    private readonly Dictionary<string, ChildRecord> _children = [];
    private readonly Action<string> _log;

    private StateDirectory(string path, bool isTemporary, Action<string> log)
    {
        Path = path;
        IsTemporary = isTemporary;
        _log = log;
    }

    public string Path { get; }

    /// <summary>Created for this run under the temp folder and deleted at the end of it.</summary>
    public bool IsTemporary { get; }

    /// <summary>Root of the temporary state folders; swept of those whose owner died.</summary>
    public static string TemporaryRoot => System.IO.Path.Combine(System.IO.Path.GetTempPath(), "fluxgate-devhost");

    public sealed record ChildRecord(string Name, int Pid, long StartTime, string Marker);

    private sealed record OwnerRecord(int Pid, long StartTime);

    /// <summary>Takes <paramref name="path"/> (or a new temporary folder) for this process, after cleaning up a crashed run.</summary>
    public static StateDirectory Acquire(string? path, Action<string> log)
    {
        StateDirectory state;
        if (path is null)
        {
            CreateReachableDirectory(TemporaryRoot);
            SweepAbandoned(TemporaryRoot, log);
            var folder = System.IO.Path.Combine(TemporaryRoot, $"{DateTime.UtcNow:yyyyMMddHHmmss}-{Environment.ProcessId}-{Guid.NewGuid():N}"[..40]);
            CreateReachableDirectory(folder);
            state = new StateDirectory(folder, isTemporary: true, log);
        }
        else
        {
            var fullPath = System.IO.Path.GetFullPath(path);
            CreateReachableDirectory(fullPath);
            state = new StateDirectory(fullPath, isTemporary: false, log);
            if (state.ReadOwner() is { } owner && owner.Pid != Environment.ProcessId && IsAlive(owner))
            {
                throw new InvalidOperationException(
                    $"Another DevHost (pid {owner.Pid}) is running with the state folder {fullPath}. Stop it first (Ctrl+C), " +
                    "or give this one another folder.");
            }
            state.KillLeftoverChildren();
        }
        state.WriteOwner();
        return state;
    }

    /// <summary>Remembers a started child (replacing an earlier record of the same name).</summary>
    public void Record(string name, ProcessIdentity? identity, string marker)
    {
        if (identity is null)
        {
            return;
        }
        lock (_gate)
        {
            _children[name] = new ChildRecord(name, identity.Pid, identity.StartTime, marker);
            WriteChildren();
        }
    }

    public void Forget(string name)
    {
        lock (_gate)
        {
            if (_children.Remove(name))
            {
                WriteChildren();
            }
        }
    }

    /// <summary>At the end of a clean run: nothing left to clean up; a temporary folder goes entirely.</summary>
    public void Release()
    {
        lock (_gate)
        {
            _children.Clear();
            TryDelete(System.IO.Path.Combine(Path, ChildrenFile));
            TryDelete(System.IO.Path.Combine(Path, OwnerFile));
        }
        if (IsTemporary)
        {
            FileSystem.TryDeleteDirectory(Path);
        }
    }

    /// <summary>Temporary state folders whose DevHost died (a crashed or killed test run): their children are stopped, the folders removed.</summary>
    private static void SweepAbandoned(string root, Action<string> log)
    {
        foreach (var folder in Directory.GetDirectories(root))
        {
            var state = new StateDirectory(folder, isTemporary: true, log);
            var owner = state.ReadOwner();
            var abandoned = owner is null
                ? Directory.GetLastWriteTimeUtc(folder) < DateTime.UtcNow.AddHours(-1) // never got an owner: a start that died at once
                : !IsAlive(owner);
            if (abandoned)
            {
                state.KillLeftoverChildren();
                FileSystem.TryDeleteDirectory(folder);
            }
        }
    }

    private void KillLeftoverChildren()
    {
        var file = System.IO.Path.Combine(Path, ChildrenFile);
        if (!File.Exists(file))
        {
            return;
        }
        List<ChildRecord> records;
        try
        {
            records = JsonSerializer.Deserialize<List<ChildRecord>>(File.ReadAllText(file)) ?? [];
        }
        catch (JsonException)
        {
            records = [];
        }
        foreach (var record in records)
        {
            var identity = new ProcessIdentity(record.Pid, record.StartTime, "");
            if (!identity.IsStillRunning(record.Marker))
            {
                continue;
            }
            _log($"stopping {record.Name} (pid {record.Pid}), left running by an earlier DevHost that did not shut down");
            // Each child leads its own process group (setsid): the group takes whatever the child started with it.
            Posix.SignalGroup(record.Pid, Posix.SIGKILL);
            Posix.Signal(record.Pid, Posix.SIGKILL);
            var deadline = DateTime.UtcNow.AddSeconds(15);
            while (identity.IsStillRunning(record.Marker) && DateTime.UtcNow < deadline)
            {
                Thread.Sleep(50);
            }
        }
        TryDelete(file);
    }

    private OwnerRecord? ReadOwner()
    {
        try
        {
            return JsonSerializer.Deserialize<OwnerRecord>(File.ReadAllText(System.IO.Path.Combine(Path, OwnerFile)));
        }
        catch (Exception exception) when (exception is IOException or JsonException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static bool IsAlive(OwnerRecord owner) =>
        ProcessIdentity.TryRead(owner.Pid) is { } current && current.StartTime == owner.StartTime;

    private void WriteOwner()
    {
        var self = ProcessIdentity.TryRead(Environment.ProcessId)
            ?? throw new InvalidOperationException("Cannot read this process's own /proc entry.");
        WriteAtomically(OwnerFile, JsonSerializer.Serialize(new OwnerRecord(self.Pid, self.StartTime), Json));
    }

    private void WriteChildren() => WriteAtomically(ChildrenFile, JsonSerializer.Serialize(_children.Values.ToList(), Json));

    private void WriteAtomically(string name, string content)
    {
        var target = System.IO.Path.Combine(Path, name);
        var temporary = target + ".tmp";
        File.WriteAllText(temporary, content);
        File.Move(temporary, target, overwrite: true);
    }

    private static void CreateReachableDirectory(string path)
    {
        Directory.CreateDirectory(path);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, ReachableMode);
        }
    }

    private static void TryDelete(string file)
    {
        try
        {
            File.Delete(file);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
        }
    }
}
