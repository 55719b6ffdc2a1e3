using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using FluxGate.AppHost;
using FluxGate.AppHost.Local;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace FluxGate.Tests.Infrastructure;

/// <summary>
/// One of the AppHost's local servers (redis-server or PostgreSQL), alone (<c>FluxGate:BackingServicesOnly</c>), for
/// the integration tests below the whole graph: the same resource the AppHost runs, on a free port and a throw-away
/// folder.
/// </summary>
public sealed class LocalServerApp : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(2);

    private readonly DistributedApplication _app;
    private readonly string _name;
    private readonly string _folder;
    private readonly bool _ownsFolder;

    private LocalServerApp(DistributedApplication app, string name, string folder, bool ownsFolder = true)
    {
        _app = app;
        _name = name;
        _folder = folder;
        _ownsFolder = ownsFolder;
    }

    /// <summary>The state folder (the server's data under it).</summary>
    public string StateDirectory => _folder;

    /// <summary>The server's process id (its snapshot's <c>executable.pid</c>).</summary>
    public int ProcessId =>
        _app.ResourceNotifications.TryGetCurrentState(_name, out var resource)
        && resource.Snapshot.Properties.FirstOrDefault(property => property.Name.EndsWith(".pid", StringComparison.Ordinal))?.Value is { } value
        && int.TryParse(value.ToString(), out var pid)
            ? pid
            : throw new InvalidOperationException($"{_name} has no process id.");

    /// <summary>StackExchange.Redis, or Npgsql to the <c>postgres</c> database.</summary>
    public string ConnectionString => ConnectionStringFor("postgres");

    /// <summary>PostgreSQL: the connection string of a database on the server.</summary>
    public string ConnectionStringFor(string database)
    {
        var resource = _app.Services.GetRequiredService<DistributedApplicationModel>().Resources.Single(resource => resource.Name == _name);
        return resource switch
        {
            LocalRedisResource redis => redis.ConnectionString,
            LocalRedisClusterResource cluster => cluster.ConnectionString,
            LocalPostgresServerResource postgres => new NpgsqlConnectionStringBuilder(postgres.ConnectionStringFor(database)) { Timeout = 5 }.ConnectionString,
            _ => throw new InvalidOperationException($"{_name} is not a local server."),
        };
    }

    public static Task<LocalServerApp> StartRedisAsync() => StartAsync(ResourceNames.Redis);

    public static Task<LocalServerApp> StartPostgresAsync() => StartAsync(ResourceNames.Postgres);

    /// <summary>
    /// The local Redis Cluster (<c>FluxGate:RedisTopology=Cluster</c>) as <c>redis</c>. With <paramref name="stateDirectory"/>
    /// it runs on that folder and leaves it in place (a later start finds the cluster there); else on a throw-away one.
    /// </summary>
    public static Task<LocalServerApp> StartRedisClusterAsync(string? stateDirectory = null) =>
        StartAsync(ResourceNames.Redis, stateDirectory, "--FluxGate:RedisTopology=Cluster");

    /// <summary>Stops the server as the dashboard's Stop does.</summary>
    public async Task StopAsync()
    {
        await _app.ResourceCommands.ExecuteCommandAsync(_name, KnownResourceCommands.StopCommand);
        using var timeout = new CancellationTokenSource(StartTimeout);
        await _app.ResourceNotifications.WaitForResourceAsync(_name,
            resource => resource.Snapshot.State?.Text is { } state && KnownResourceStates.TerminalStates.Contains(state), timeout.Token);
    }

    public async Task StartAsync()
    {
        await _app.ResourceCommands.ExecuteCommandAsync(_name, KnownResourceCommands.StartCommand);
        using var timeout = new CancellationTokenSource(StartTimeout);
        // The command returns before the orchestrator reports the new run: until then the snapshot still says Exited,
        // which the health wait takes for "failed to start".
        await _app.ResourceNotifications.WaitForResourceAsync(_name,
            resource => resource.Snapshot.State?.Text is { } state && !KnownResourceStates.TerminalStates.Contains(state), timeout.Token);
        await _app.ResourceNotifications.WaitForResourceHealthyAsync(_name, timeout.Token);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        if (!_ownsFolder)
        {
            return;
        }
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private static async Task<LocalServerApp> StartAsync(string name, string? stateDirectory = null, params string[] settings)
    {
        var folder = stateDirectory ?? TempFolder.Create($"fluxgate-{name}-");
        using var timeout = new CancellationTokenSource(StartTimeout);
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.FluxGate_AppHost>(
            ["--FluxGate:BackingServices=Local", $"--FluxGate:BackingServicesOnly:0={name}", $"--FluxGate:StateDirectory={folder}", .. settings],
            timeout.Token);
        var app = await builder.BuildAsync(timeout.Token);
        await app.StartAsync(timeout.Token);
        await app.ResourceNotifications.WaitForResourceHealthyAsync(name, timeout.Token);
        return new LocalServerApp(app, name, folder, ownsFolder: stateDirectory is null);
    }
}
