using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using FluxGate.DevHost.Processes;
using FluxGate.Tests.Infrastructure;
using Xunit.Abstractions;

namespace FluxGate.Tests.DevHost;

/// <summary>The DevHost program as a user runs it: up, killed with -9, up again, then Ctrl+C leaves nothing behind.</summary>
public sealed class DevHostProgramTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _stateDirectory = Directory.CreateTempSubdirectory("fluxgate-devhost-program-").FullName;
    private readonly List<string> _programOutput = [];
    private readonly List<Child> _seenChildren = [];

    [Fact]
    public async Task A_start_after_kill_9_cleans_up_and_ctrl_c_then_stops_every_process()
    {
        var arguments = new[]
        {
            "--api-port", Ports.GetFreePort().ToString(), "--waitingroom-port", Ports.GetFreePort().ToString(),
            "--persister-port", Ports.GetFreePort().ToString(), "--state-dir", _stateDirectory,
        };
        try
        {
            using var crashed = StartProgram(arguments);
            await WaitUntilUpAsync(crashed);
            var orphans = ReadChildren();
            Assert.Equal(["api", "persister", "postgres", "redis", "waitingroom"], orphans.Select(child => child.Name).Order());

            crashed.Kill(); // SIGKILL: no cleanup at all
            await crashed.WaitForExitAsync();
            Assert.All(orphans, orphan => Assert.True(orphan.IsRunning, $"{orphan.Name} should outlive a killed DevHost"));

            using var program = StartProgram(arguments);
            await WaitUntilUpAsync(program);
            Assert.All(orphans, orphan => Assert.False(orphan.IsRunning, $"{orphan.Name} (pid {orphan.Pid}) of the killed DevHost is still running"));
            var children = ReadChildren();
            Assert.All(children, child => Assert.True(child.IsRunning));
            using (var http = new HttpClient())
            {
                var api = (string)JsonNode.Parse(await File.ReadAllTextAsync(EndpointsFile))!["api"]!;
                Assert.Equal(System.Net.HttpStatusCode.OK, (await http.GetAsync($"{api}/health")).StatusCode);
            }

            Posix.Signal(program.Id, Posix.SIGINT); // what Ctrl+C sends
            await program.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(2));

            Assert.Equal(0, program.ExitCode);
            Assert.All(children, child => Assert.False(child.IsRunning, $"{child.Name} (pid {child.Pid}) is still running after Ctrl+C"));
            Assert.False(File.Exists(EndpointsFile));
            Assert.Contains(_programOutput, line => line.Contains("All FluxGate processes stopped.", StringComparison.Ordinal));
        }
        catch
        {
            lock (_programOutput)
            {
                output.WriteLine(string.Join(Environment.NewLine, _programOutput.TakeLast(200)));
            }
            throw;
        }
    }

    public void Dispose()
    {
        // On failure, whatever still runs is stopped the way the next DevHost would: by the records of its children.
        if (File.Exists(ChildrenFile))
        {
            ReadChildren();
        }
        foreach (var child in _seenChildren)
        {
            if (child.IsRunning)
            {
                Posix.SignalGroup(child.Pid, Posix.SIGKILL);
            }
        }
        Directory.Delete(_stateDirectory, recursive: true);
    }

    private string EndpointsFile => Path.Combine(_stateDirectory, "endpoints.json");

    private string ChildrenFile => Path.Combine(_stateDirectory, "children.json");

    private sealed record Child(string Name, int Pid, long StartTime, string Marker)
    {
        public bool IsRunning => new ProcessIdentity(Pid, StartTime, "").IsStillRunning(Marker);
    }

    private List<Child> ReadChildren()
    {
        var children = JsonSerializer.Deserialize<List<Child>>(File.ReadAllText(ChildrenFile))!;
        _seenChildren.AddRange(children);
        return children;
    }

    private Process StartProgram(IEnumerable<string> arguments)
    {
        // The program as built beside the tests; `env --default-signal=INT` gives it SIGINT's default disposition, as a
        // terminal's foreground job has, even when this test run was started in the background (where SIGINT is ignored).
        var startInfo = new ProcessStartInfo("env")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
        };
        foreach (var argument in (string[])["--default-signal=INT", FluxGate.DevHost.Services.DotnetHost.Path, Path.Combine(AppContext.BaseDirectory, "FluxGate.DevHost.dll"), .. arguments])
        {
            startInfo.ArgumentList.Add(argument);
        }
        var process = Process.Start(startInfo)!;
        process.OutputDataReceived += (_, line) => Capture(line.Data);
        process.ErrorDataReceived += (_, line) => Capture(line.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    private void Capture(string? line)
    {
        if (line is not null)
        {
            lock (_programOutput)
            {
                _programOutput.Add(line);
            }
        }
    }

    private async Task WaitUntilUpAsync(Process program)
    {
        const int exited = -1;
        var pid = await Eventually.UntilAsync(
            async () => program.HasExited ? exited
                : File.Exists(EndpointsFile) ? JsonNode.Parse(await File.ReadAllTextAsync(EndpointsFile))!["devHostPid"]!.GetValue<int>()
                : 0,
            pid => pid == program.Id || pid == exited,
            "the DevHost wrote endpoints.json", TimeSpan.FromMinutes(3));
        Assert.True(pid != exited, $"the DevHost exited with code {(program.HasExited ? program.ExitCode : 0)} before it was up");
    }
}
