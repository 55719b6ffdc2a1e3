using System.Diagnostics;

namespace FluxGate.AppHost.Hosting;

/// <summary>Whether the container runtime Aspire would use (<c>ASPIRE_CONTAINER_RUNTIME</c>, else docker) answers.</summary>
internal static class ContainerRuntime
{
    public static bool Answers(string? configuredRuntime)
    {
        var runtime = string.IsNullOrWhiteSpace(configuredRuntime) ? "docker" : configuredRuntime;
        try
        {
            using var probe = Process.Start(new ProcessStartInfo(runtime, ["info", "--format", "{{.ServerVersion}}"])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            });
            if (probe is null)
            {
                return false;
            }
            if (!probe.WaitForExit(TimeSpan.FromSeconds(10)))
            {
                probe.Kill(entireProcessTree: true);
                return false;
            }
            return probe.ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return false; // no such CLI
        }
    }
}
