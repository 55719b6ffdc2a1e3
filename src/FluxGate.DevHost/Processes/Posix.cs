using System.Runtime.InteropServices;

namespace FluxGate.DevHost.Processes;

/// <summary>The few libc calls .NET does not expose: signals other than SIGKILL, process groups, the effective user.</summary>
internal static class Posix
{
    public const int SIGINT = 2;
    public const int SIGQUIT = 3;
    public const int SIGKILL = 9;
    public const int SIGTERM = 15;

    private const int ESRCH = 3;

    [DllImport("libc", SetLastError = true, EntryPoint = "kill")]
    private static extern int SysKill(int pid, int signal);

    [DllImport("libc", EntryPoint = "geteuid")]
    private static extern uint SysGetEuid();

    public static bool IsRoot => SysGetEuid() == 0;

    /// <summary>Sends <paramref name="signal"/>; false when no such process (or group) exists.</summary>
    public static bool Signal(int pid, int signal) =>
        SysKill(pid, signal) == 0 || Marshal.GetLastPInvokeError() != ESRCH;

    /// <summary>Sends <paramref name="signal"/> to every process of the group led by <paramref name="groupLeaderPid"/>.</summary>
    public static bool SignalGroup(int groupLeaderPid, int signal) => Signal(-groupLeaderPid, signal);

    public static bool IsAlive(int pid) => pid > 0 && Signal(pid, 0);
}
