using System.Diagnostics;
using System.Text.Json.Nodes;
using FluxGate.AppHost.Hosting;

namespace FluxGate.Tests.Infrastructure;

/// <summary>
/// The AppHost run as a user runs it (<c>./run.sh</c>): its own process, local mode, the dashboard on, free ports, a
/// given state folder. Up once it has written <c>endpoints.json</c> for this process.
/// </summary>
public sealed class AppHostProcess : IDisposable
{
    private static readonly TimeSpan UpTimeout = TimeSpan.FromMinutes(3);
    private readonly List<string> _output = [];
    private readonly Process _process;
    private readonly string _stateDirectory;

    private AppHostProcess(string stateDirectory)
    {
        _stateDirectory = stateDirectory;
        // Through env --default-signal: a test run started in the background of a shell (`./test.sh &`) inherits SIGINT
        // ignored, and .NET keeps an inherited SIG_IGN, so the AppHost would never see the test's Ctrl+C.
        var start = new ProcessStartInfo("env")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            ArgumentList =
            {
                "--default-signal=INT", Executable(),
                "--FluxGate:BackingServices=Local", $"--FluxGate:StateDirectory={stateDirectory}",
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
        _process = Process.Start(start)!;
        _process.OutputDataReceived += (_, line) => Record(line.Data);
        _process.ErrorDataReceived += (_, line) => Record(line.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    public string EndpointsFile => Path.Combine(_stateDirectory, "endpoints.json");

    public static AppHostProcess Start(string stateDirectory) => new(stateDirectory);

    /// <summary>Waits for this process's <c>endpoints.json</c> and returns it.</summary>
    public async Task<JsonNode> WaitUntilUpAsync()
    {
        var deadline = DateTime.UtcNow + UpTimeout;
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"The AppHost exited with {_process.ExitCode}.");
            }
            if (File.Exists(EndpointsFile) && JsonNode.Parse(await File.ReadAllTextAsync(EndpointsFile)) is { } endpoints
                && (int?)endpoints["appHostPid"] == _process.Id)
            {
                return endpoints;
            }
            await Task.Delay(250);
        }
        throw new TimeoutException($"The AppHost wrote no endpoints.json within {UpTimeout}.");
    }

    /// <summary>
    /// The AppHost's descendants and Aspire's orchestrator, which detaches (<c>dcp start-apiserver --monitor &lt;pid&gt;</c>)
    /// and runs the resources as its own descendants.
    /// </summary>
    public List<int> GraphProcesses()
    {
        var orchestrators = Directory.EnumerateDirectories("/proc")
            .Select(directory => int.TryParse(Path.GetFileName(directory), out var pid) ? pid : 0)
            .Where(pid => pid > 0 && ProcessTree.CommandLine(pid).Contains($"--monitor {_process.Id} ", StringComparison.Ordinal))
            .ToList();
        return [.. ProcessTree.DescendantsOf(_process.Id), .. orchestrators, .. orchestrators.SelectMany(ProcessTree.DescendantsOf)];
    }

    /// <summary>What Ctrl+C sends; waits for the AppHost to exit.</summary>
    public async Task InterruptAsync()
    {
        Process.Start("kill", ["-INT", _process.Id.ToString()])!.WaitForExit();
        await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(2));
    }

    /// <summary>SIGKILL: the AppHost does no cleanup at all.</summary>
    public async Task KillAsync()
    {
        _process.Kill();
        await _process.WaitForExitAsync();
    }

    public string RecentOutput(int count = 200)
    {
        lock (_output)
        {
            return string.Join(Environment.NewLine, _output.TakeLast(count));
        }
    }

    public void Dispose()
    {
        // A failed test must not leave its graph running.
        if (!_process.HasExited)
        {
            Process.Start("kill", ["-INT", _process.Id.ToString()])!.WaitForExit();
            _process.WaitForExit(TimeSpan.FromMinutes(1));
        }
        _process.Dispose();
    }

    /// <summary>The AppHost built beside these tests, in the same configuration (bin/&lt;configuration&gt;/net10.0).</summary>
    private static string Executable()
    {
        var testOutput = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd('/'));
        var configuration = testOutput.Parent!.Name;
        var root = testOutput;
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "FluxGate.sln")))
        {
            root = root.Parent;
        }
        return root is null
            ? throw new InvalidOperationException($"No FluxGate.sln above {testOutput.FullName}.")
            : Path.Combine(root.FullName, "src", "FluxGate.AppHost", "bin", configuration, testOutput.Name, "FluxGate.AppHost");
    }

    private void Record(string? line)
    {
        if (line is not null)
        {
            lock (_output)
            {
                _output.Add(line);
            }
        }
    }
}
