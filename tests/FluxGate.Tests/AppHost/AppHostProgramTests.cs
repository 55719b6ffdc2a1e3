using System.Net;
using FluxGate.Tests.Infrastructure;
using Xunit.Abstractions;

namespace FluxGate.Tests.AppHost;

/// <summary>
/// The AppHost as a user runs it (<c>./run.sh</c>, with the dashboard): up with <c>endpoints.json</c>, killed with -9
/// and nothing of its graph outlives it, up again on the same state folder, then Ctrl+C leaves no process behind.
/// </summary>
public sealed class AppHostProgramTests(ITestOutputHelper output) : IDisposable
{
    private static readonly TimeSpan DownTimeout = TimeSpan.FromMinutes(1);
    private readonly string _stateDirectory = TempFolder.Create("fluxgate-apphost-program-");
    private readonly List<AppHostProcess> _appHosts = [];

    [Fact]
    public async Task Kill_9_leaves_nothing_running_a_restart_works_and_ctrl_c_stops_every_process()
    {
        var crashed = Start();
        try
        {
            await crashed.WaitUntilUpAsync();
            var graph = crashed.GraphProcesses();
            Assert.Contains(graph, pid => ProcessTree.CommandLine(pid).Contains("redis-server", StringComparison.Ordinal));
            Assert.Contains(graph, pid => ProcessTree.CommandLine(pid).Contains("FluxGate.Api", StringComparison.Ordinal));

            await crashed.KillAsync(); // Aspire's orchestrator watches the AppHost and stops what it ran
            await UntilGoneAsync(graph, "of the killed AppHost");

            File.Delete(crashed.EndpointsFile); // a killed AppHost cannot remove it
            var program = Start();
            var endpoints = await program.WaitUntilUpAsync();
            using (var http = new HttpClient())
            {
                Assert.Equal(HttpStatusCode.OK, (await http.GetAsync($"{endpoints["api"]}/health")).StatusCode);
            }
            Assert.StartsWith("http://127.0.0.1:", (string?)endpoints["dashboard"]);
            graph = program.GraphProcesses();

            await program.InterruptAsync();

            Assert.Equal(0, program.ExitCode);
            await UntilGoneAsync(graph, "after Ctrl+C");
            Assert.False(File.Exists(program.EndpointsFile));
        }
        catch
        {
            foreach (var appHost in _appHosts)
            {
                output.WriteLine(appHost.RecentOutput());
            }
            throw;
        }
    }

    public void Dispose()
    {
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

    private AppHostProcess Start()
    {
        var appHost = AppHostProcess.Start(_stateDirectory);
        _appHosts.Add(appHost);
        return appHost;
    }

    private static async Task UntilGoneAsync(IReadOnlyList<int> processes, string what)
    {
        var deadline = DateTime.UtcNow + DownTimeout;
        while (DateTime.UtcNow < deadline && processes.Any(ProcessTree.IsRunning))
        {
            await Task.Delay(250);
        }
        var left = processes.Where(ProcessTree.IsRunning).Select(pid => $"{pid} {ProcessTree.CommandLine(pid)}").ToList();
        Assert.True(left.Count == 0, $"processes {what} still running: {string.Join("; ", left)}");
    }
}
