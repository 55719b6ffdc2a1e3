using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using FluxGate.AppHost.Hosting;
using FluxGate.Tests.Infrastructure;
using Xunit.Abstractions;

namespace FluxGate.Tests.AppHost;

/// <summary>
/// The AppHost as a user runs it (<c>./run.sh</c>, with the dashboard): up with <c>endpoints.json</c>, killed with -9
/// and nothing of its graph outlives it, up again on the same state folder, then Ctrl+C leaves no process behind.
/// </summary>
public sealed class AppHostProgramTests(ITestOutputHelper output) : IDisposable
{
    private static readonly TimeSpan UpTimeout = TimeSpan.FromMinutes(3);
    private static readonly TimeSpan DownTimeout = TimeSpan.FromMinutes(1);
    private readonly string _stateDirectory = TempFolder.Create("fluxgate-apphost-program-");
    private readonly List<string> _output = [];
    private readonly List<Process> _appHosts = [];

    private string EndpointsFile => Path.Combine(_stateDirectory, "endpoints.json");

    [Fact]
    public async Task Kill_9_leaves_nothing_running_a_restart_works_and_ctrl_c_stops_every_process()
    {
        try
        {
            var crashed = StartAppHost();
            await WaitUntilUpAsync(crashed);
            var graph = GraphProcesses(crashed.Id);
            Assert.Contains(graph, pid => CommandLine(pid).Contains("redis-server", StringComparison.Ordinal));
            Assert.Contains(graph, pid => CommandLine(pid).Contains("FluxGate.Api", StringComparison.Ordinal));

            crashed.Kill(); // SIGKILL: the AppHost does no cleanup at all; Aspire's orchestrator watches it and does
            await crashed.WaitForExitAsync();
            await UntilGoneAsync(graph, "of the killed AppHost");

            File.Delete(EndpointsFile); // a killed AppHost cannot remove it
            var program = StartAppHost();
            var endpoints = await WaitUntilUpAsync(program);
            using (var http = new HttpClient())
            {
                Assert.Equal(HttpStatusCode.OK, (await http.GetAsync($"{endpoints["api"]}/health")).StatusCode);
            }
            Assert.StartsWith("http://127.0.0.1:", (string?)endpoints["dashboard"]);
            graph = GraphProcesses(program.Id);

            Signal(program.Id, "INT"); // what Ctrl+C sends
            await program.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(2));

            Assert.Equal(0, program.ExitCode);
            await UntilGoneAsync(graph, "after Ctrl+C");
            Assert.False(File.Exists(EndpointsFile));
        }
        catch
        {
            lock (_output)
            {
                output.WriteLine(string.Join(Environment.NewLine, _output.TakeLast(200)));
            }
            throw;
        }
    }

    public void Dispose()
    {
        // A failed test must not leave its graph running: Ctrl+C to whatever still runs.
        foreach (var appHost in _appHosts.Where(appHost => !appHost.HasExited))
        {
            Signal(appHost.Id, "INT");
            appHost.WaitForExit(TimeSpan.FromMinutes(1));
        }
        foreach (var appHost in _appHosts)
        {
            appHost.Dispose();
        }
        try
        {
            Directory.Delete(_stateDirectory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private Process StartAppHost()
    {
        var start = new ProcessStartInfo(AppHostExecutable())
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            ArgumentList =
            {
                "--FluxGate:BackingServices=Local", $"--FluxGate:StateDirectory={_stateDirectory}",
                "--FluxGate:Ports:Api=0", "--FluxGate:Ports:Persister=0", "--FluxGate:Ports:WaitingRoom=0",
            },
            Environment =
            {
                // As the launch profile "http" sets them, on free ports.
                ["ASPNETCORE_ENVIRONMENT"] = "Development",
                ["DOTNET_ENVIRONMENT"] = "Development",
                ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{FreePort.OrFree(0)}",
                ["ASPIRE_DASHBOARD_OTLP_ENDPOINT_URL"] = $"http://127.0.0.1:{FreePort.OrFree(0)}",
                ["ASPIRE_RESOURCE_SERVICE_ENDPOINT_URL"] = $"http://127.0.0.1:{FreePort.OrFree(0)}",
                ["ASPIRE_ALLOW_UNSECURED_TRANSPORT"] = "true",
            },
        };
        var process = Process.Start(start)!;
        _appHosts.Add(process);
        process.OutputDataReceived += (_, line) => Record(line.Data);
        process.ErrorDataReceived += (_, line) => Record(line.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    private async Task<JsonNode> WaitUntilUpAsync(Process appHost)
    {
        var deadline = DateTime.UtcNow + UpTimeout;
        while (DateTime.UtcNow < deadline)
        {
            Assert.False(appHost.HasExited, $"the AppHost exited with {(appHost.HasExited ? appHost.ExitCode : 0)}");
            if (File.Exists(EndpointsFile) && JsonNode.Parse(await File.ReadAllTextAsync(EndpointsFile)) is { } endpoints
                && (int?)endpoints["appHostPid"] == appHost.Id)
            {
                return endpoints;
            }
            await Task.Delay(250);
        }
        throw new TimeoutException($"The AppHost wrote no endpoints.json within {UpTimeout}.");
    }

    private static async Task UntilGoneAsync(IReadOnlyList<int> processes, string what)
    {
        var deadline = DateTime.UtcNow + DownTimeout;
        while (DateTime.UtcNow < deadline && processes.Any(IsRunning))
        {
            await Task.Delay(250);
        }
        var left = processes.Where(IsRunning).Select(pid => $"{pid} {CommandLine(pid)}").ToList();
        Assert.True(left.Count == 0, $"processes {what} still running: {string.Join("; ", left)}");
    }

    /// <summary>
    /// The AppHost's descendants and Aspire's orchestrator, which detaches (<c>dcp start-apiserver --monitor &lt;pid&gt;</c>)
    /// and runs the resources as its own descendants.
    /// </summary>
    private static List<int> GraphProcesses(int appHost)
    {
        var orchestrators = Directory.EnumerateDirectories("/proc")
            .Select(directory => int.TryParse(Path.GetFileName(directory), out var pid) ? pid : 0)
            .Where(pid => pid > 0 && CommandLine(pid).Contains($"--monitor {appHost} ", StringComparison.Ordinal))
            .ToList();
        return [.. ProcessTree.DescendantsOf(appHost), .. orchestrators, .. orchestrators.SelectMany(ProcessTree.DescendantsOf)];
    }

    private static bool IsRunning(int pid)
    {
        try
        {
            // A zombie has exited; only its parent has not reaped it yet.
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)] != 'Z';
        }
        catch (IOException)
        {
            return false;
        }
    }

    private static string CommandLine(int pid)
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

    private static void Signal(int pid, string signal) => Process.Start("kill", [$"-{signal}", pid.ToString()])!.WaitForExit();

    /// <summary>The AppHost built beside these tests, in the same configuration (bin/&lt;configuration&gt;/net10.0).</summary>
    private static string AppHostExecutable()
    {
        var testOutput = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd('/'));
        var configuration = testOutput.Parent!.Name;
        var root = testOutput;
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "FluxGate.sln")))
        {
            root = root.Parent;
        }
        Assert.NotNull(root);
        return Path.Combine(root.FullName, "src", "FluxGate.AppHost", "bin", configuration, testOutput.Name, "FluxGate.AppHost");
    }

    private void Record(string? line)
    {
        if (line is null)
        {
            return;
        }
        lock (_output)
        {
            _output.Add(line);
        }
    }
}
