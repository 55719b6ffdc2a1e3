using System.Collections.Concurrent;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using FluxGate.AppHost;
using FluxGate.AppHost.Local;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace FluxGate.Tests.Infrastructure;

/// <summary>What a test graph differs in from the defaults (local processes, free ports, a throw-away state folder).</summary>
public sealed record GraphOptions
{
    /// <summary>The state folder (PostgreSQL's and Redis's data); null: a new temporary one, deleted with the graph.</summary>
    public string? StateDirectory { get; init; }

    /// <summary>The api's <c>Admin:ApiKey</c>; null leaves <c>POST /init</c> open (Development).</summary>
    public string? AdminApiKey { get; init; }

    /// <summary>Extra AppHost configuration, e.g. <c>["FluxGate:Settings:api:RateLimit:PermitsPerSecond"] = "5"</c>.</summary>
    public IReadOnlyDictionary<string, string> Configuration { get; init; } = new Dictionary<string, string>();

    /// <summary>Each line a resource writes, as <c>[resource] text</c>.</summary>
    public Action<string>? OnLog { get; init; }
}

/// <summary>
/// The whole FluxGate graph through FluxGate.AppHost and <see cref="DistributedApplicationTestingBuilder"/>, in local mode:
/// redis-server, PostgreSQL and the Kafka mock (in this process, so <see cref="Kafka"/> injects faults), the three
/// services on free ports. Resources stop, start and crash through Aspire's resource commands and their process ids.
/// </summary>
public sealed class FluxGateGraph : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(3);
    private const int LogCapacity = 5000;

    private readonly ConcurrentQueue<string> _logs = new();
    private readonly Dictionary<string, string> _connectionStrings = new(StringComparer.OrdinalIgnoreCase);
    private readonly CancellationTokenSource _stopping = new();
    private readonly bool _ownsStateDirectory;
    private readonly GraphOptions _options;
    private DistributedApplication? _app;

    private FluxGateGraph(GraphOptions options)
    {
        _options = options;
        _ownsStateDirectory = options.StateDirectory is null;
        // Under /tmp: as root, PostgreSQL runs as the postgres user, which must be able to enter the folder.
        StateDirectory = options.StateDirectory ?? TempFolder.Create("fluxgate-graph-");
    }

    public DistributedApplication App => _app ?? throw new InvalidOperationException("The graph has not started.");

    public string StateDirectory { get; }

    /// <summary>The api's <c>Admin:ApiKey</c> (header <c>x-api-key</c>), or null when none is set.</summary>
    public string? AdminApiKey => _options.AdminApiKey;

    /// <summary>The Kafka mock cluster, for fault injection.</summary>
    public KafkaMockCluster Kafka =>
        App.Services.GetRequiredService<DistributedApplicationModel>().Resources.OfType<KafkaMockResource>().Single().Cluster
        ?? throw new InvalidOperationException("The Kafka mock has not started.");

    public IReadOnlyList<string> Services => ResourceNames.Services;

    public static async Task<FluxGateGraph> StartAsync(GraphOptions? options = null, CancellationToken cancellationToken = default)
    {
        var graph = new FluxGateGraph(options ?? new GraphOptions());
        try
        {
            await graph.StartAsync(cancellationToken);
            return graph;
        }
        catch
        {
            await graph.DisposeAsync();
            throw;
        }
    }

    private async Task StartAsync(CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(StartTimeout);
        var configuration = new Dictionary<string, string?>
        {
            ["FluxGate:BackingServices"] = "Local",
            ["FluxGate:StateDirectory"] = StateDirectory,
            ["FluxGate:Ports:Api"] = "0",
            ["FluxGate:Ports:Persister"] = "0",
            ["FluxGate:Ports:WaitingRoom"] = "0",
            ["FluxGate:AdminApiKey"] = _options.AdminApiKey,
        };
        foreach (var (key, value) in _options.Configuration)
        {
            configuration[key] = value;
        }
        var args = configuration.Where(setting => setting.Value is not null).Select(setting => $"--{setting.Key}={setting.Value}").ToArray();

        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.FluxGate_AppHost>(args, timeout.Token);
        builder.Services.AddLogging(logging => logging.SetMinimumLevel(LogLevel.Warning));
        _app = await builder.BuildAsync(timeout.Token);
        StartCollectingLogs();
        await _app.StartAsync(timeout.Token);

        foreach (var service in ResourceNames.Services)
        {
            await _app.ResourceNotifications.WaitForResourceHealthyAsync(service, timeout.Token);
        }
        foreach (var name in new[] { ResourceNames.Redis, ResourceNames.Kafka, ResourceNames.Database })
        {
            _connectionStrings[name] = await _app.GetConnectionStringAsync(name, timeout.Token)
                ?? throw new InvalidOperationException($"{name} has no connection string.");
        }
    }

    /// <summary>The value of one of the AppHost's parameters (e.g. the generated <c>shopper-signing-key</c>).</summary>
    public async Task<string> GetParameterValueAsync(string name) =>
        await App.Services.GetRequiredService<DistributedApplicationModel>().Resources.OfType<ParameterResource>()
            .Single(parameter => parameter.Name == name).GetValueAsync(CancellationToken.None)
        ?? throw new InvalidOperationException($"Parameter {name} has no value.");

    /// <summary>An HttpClient for a service. Redirects are not followed: the api's 302 is part of its contract.</summary>
    public HttpClient CreateHttpClient(string name) =>
        new(new SocketsHttpHandler { AllowAutoRedirect = false }) { BaseAddress = GetEndpoint(name) };

    public Uri GetEndpoint(string name) => App.GetEndpoint(name, "http");

    /// <summary>The connection string of redis, kafka (bootstrap servers) or fluxgate (Npgsql).</summary>
    public string GetConnectionString(string name) => _connectionStrings[name];

    public bool IsRunning(string name) =>
        App.ResourceNotifications.TryGetCurrentState(name, out var resource) && resource.Snapshot.State?.Text == KnownResourceStates.Running;

    /// <summary>Stops a resource the way the dashboard's Stop does, and waits until it has.</summary>
    public async Task StopResourceAsync(string name)
    {
        await ExecuteAsync(name, KnownResourceCommands.StopCommand);
        await WaitForStateAsync(name, IsStopped);
    }

    /// <summary>Starts a stopped or crashed resource and waits until it is healthy.</summary>
    public async Task StartResourceAsync(string name)
    {
        await ExecuteAsync(name, KnownResourceCommands.StartCommand);
        // The command returns before the orchestrator reports the new run: until then the snapshot still says Exited,
        // which the health wait takes for "failed to start".
        await WaitForStateAsync(name, resource => !IsStopped(resource));
        using var timeout = new CancellationTokenSource(StartTimeout);
        await App.ResourceNotifications.WaitForResourceHealthyAsync(name, timeout.Token);
    }

    /// <summary>Starts a stopped or crashed resource and waits until it runs, not until it is healthy (one that reports itself Degraded).</summary>
    public async Task StartResourceUntilRunningAsync(string name)
    {
        await ExecuteAsync(name, KnownResourceCommands.StartCommand);
        await WaitForStateAsync(name, resource => resource.Snapshot.State?.Text == KnownResourceStates.Running);
    }

    /// <summary>A crash: SIGKILL to the resource's process and everything it started (dotnet run's child included).</summary>
    public async Task KillResourceAsync(string name)
    {
        ProcessTree.Kill(ProcessIdOf(name));
        await WaitForStateAsync(name, IsStopped);
    }

    /// <summary>
    /// A stall, as of a server that stops answering without closing its connections (a long GC, a swapped-out host):
    /// SIGSTOP to the resource's process and its children (PostgreSQL's backends) until the returned handle is
    /// disposed (SIGCONT).
    /// </summary>
    public IDisposable Freeze(string name)
    {
        var root = ProcessIdOf(name);
        return new FrozenProcesses([root, .. ProcessTree.DescendantsOf(root)]);
    }

    /// <summary>The resource's process id (its snapshot's <c>executable.pid</c> or <c>project.pid</c>).</summary>
    public int ProcessIdOf(string name) =>
        App.ResourceNotifications.TryGetCurrentState(name, out var resource)
        && resource.Snapshot.Properties.FirstOrDefault(property => property.Name.EndsWith(".pid", StringComparison.Ordinal))?.Value is { } value
        && int.TryParse(value.ToString(), out var pid)
            ? pid
            : throw new InvalidOperationException($"{name} has no process id.");

    /// <summary>Polls until every service's <c>/health</c> is 200 (after a test stopped or killed something).</summary>
    public async Task WaitUntilHealthyAsync(TimeSpan? timeout = null)
    {
        using var cancellation = new CancellationTokenSource(timeout ?? StartTimeout);
        foreach (var service in ResourceNames.Services)
        {
            await App.ResourceNotifications.WaitForResourceHealthyAsync(service, cancellation.Token);
        }
    }

    /// <summary>The last <paramref name="count"/> lines of every resource, as <c>[resource] text</c>.</summary>
    public string RecentLogs(int count = 300) => string.Join(Environment.NewLine, _logs.TakeLast(count));

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
        if (_ownsStateDirectory)
        {
            try
            {
                Directory.Delete(StateDirectory, recursive: true);
            }
            catch (IOException)
            {
                // A server's last write racing the delete: the folder is under /tmp anyway.
            }
        }
    }

    private sealed class FrozenProcesses : IDisposable
    {
        private readonly List<int> _pids;
        private bool _thawed;

        public FrozenProcesses(List<int> pids)
        {
            _pids = pids;
            foreach (var pid in pids)
            {
                ProcessTree.Signal(pid, ProcessTree.SigStop);
            }
        }

        public void Dispose()
        {
            if (_thawed)
            {
                return;
            }
            _thawed = true;
            foreach (var pid in _pids)
            {
                ProcessTree.Signal(pid, ProcessTree.SigCont);
            }
        }
    }

    private static bool IsStopped(ResourceEvent resource) =>
        resource.Snapshot.State?.Text is { } state && KnownResourceStates.TerminalStates.Contains(state);

    private async Task WaitForStateAsync(string name, Func<ResourceEvent, bool> predicate)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        await App.ResourceNotifications.WaitForResourceAsync(name, predicate, timeout.Token);
    }

    private async Task ExecuteAsync(string name, string command)
    {
        var result = await App.ResourceCommands.ExecuteCommandAsync(name, command);
        if (!result.Success)
        {
            throw new InvalidOperationException($"{command} of {name} failed: {result.Message}");
        }
    }

    /// <summary>
    /// Follows every resource's log. Logs are kept per resource instance (<c>api-xyz</c>, as DCP names it), so each
    /// instance is followed as it appears, under its resource's name.
    /// </summary>
    private void StartCollectingLogs()
    {
        var resourceLogs = App.Services.GetRequiredService<ResourceLoggerService>();
        var followed = new ConcurrentDictionary<string, bool>();
        _ = Task.Run(async () =>
        {
            try
            {
                await foreach (var resource in App.ResourceNotifications.WatchAsync(_stopping.Token))
                {
                    if (followed.TryAdd(resource.ResourceId, true))
                    {
                        _ = FollowAsync(resourceLogs, resource.ResourceId, resource.Resource.Name);
                    }
                }
            }
            catch (OperationCanceledException)
            {
            }
        });
    }

    private async Task FollowAsync(ResourceLoggerService resourceLogs, string resourceId, string name)
    {
        try
        {
            await foreach (var batch in resourceLogs.WatchAsync(resourceId).WithCancellation(_stopping.Token))
            {
                foreach (var line in batch)
                {
                    Append($"[{name}] {line.Content}");
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private void Append(string line)
    {
        _logs.Enqueue(line);
        while (_logs.Count > LogCapacity && _logs.TryDequeue(out _))
        {
        }
        try
        {
            _options.OnLog?.Invoke(line);
        }
        catch (InvalidOperationException)
        {
            // A test's output after the test is over: xunit no longer takes it.
        }
    }
}
