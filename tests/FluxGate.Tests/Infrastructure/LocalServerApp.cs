using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using FluxGate.AppHost.Hosting;
using FluxGate.AppHost.Local;
using Npgsql;

namespace FluxGate.Tests.Infrastructure;

/// <summary>
/// One of the AppHost's local servers (redis-server or PostgreSQL) in a small Aspire application of its own, for the
/// integration tests below the whole graph: the same resource the AppHost runs, on a free port and a throw-away folder.
/// </summary>
public sealed class LocalServerApp : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(2);

    private readonly DistributedApplication _app;
    private readonly string _name;
    private readonly string _folder;
    private readonly Func<string, string> _connectionStringFor;

    private LocalServerApp(DistributedApplication app, string name, string folder, Func<string, string> connectionStringFor)
    {
        _app = app;
        _name = name;
        _folder = folder;
        _connectionStringFor = connectionStringFor;
    }

    /// <summary>StackExchange.Redis or Npgsql (database <c>postgres</c>) connection string.</summary>
    public string ConnectionString => _connectionStringFor("postgres");

    /// <summary>PostgreSQL: the connection string of another database on the same server.</summary>
    public string ConnectionStringFor(string database) => _connectionStringFor(database);

    public static Task<LocalServerApp> StartRedisAsync() => StartAsync("redis", (builder, folder) =>
    {
        var redis = builder.AddLocalRedis("redis", Path.Combine(folder, "redis"), FreePort.OrFree(0)).Resource;
        return _ => redis.ConnectionString;
    });

    public static Task<LocalServerApp> StartPostgresAsync() => StartAsync("postgres", (builder, folder) =>
    {
        var postgres = builder.AddLocalPostgres("postgres", Path.Combine(folder, "postgres"), FreePort.OrFree(0)).Resource;
        return database => new NpgsqlConnectionStringBuilder(postgres.ConnectionStringFor(database)) { Timeout = 5 }.ConnectionString;
    });

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
        await _app.ResourceNotifications.WaitForResourceHealthyAsync(_name, timeout.Token);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private static async Task<LocalServerApp> StartAsync(string name,
        Func<IDistributedApplicationTestingBuilder, string, Func<string, string>> addServer)
    {
        // Under /tmp: as root, PostgreSQL runs as the postgres user, which must be able to enter the folder.
        var folder = TempFolder.Create($"fluxgate-{name}-");
        using var timeout = new CancellationTokenSource(StartTimeout);
        var builder = DistributedApplicationTestingBuilder.Create();
        var connectionStringFor = addServer(builder, folder);
        var app = builder.Build();
        await app.StartAsync(timeout.Token);
        await app.ResourceNotifications.WaitForResourceHealthyAsync(name, timeout.Token);
        return new LocalServerApp(app, name, folder, connectionStringFor);
    }
}
