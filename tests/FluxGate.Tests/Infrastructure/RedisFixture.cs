using StackExchange.Redis;

namespace FluxGate.Tests.Infrastructure;

/// <summary>One real redis-server (free port, throwaway data) for a test collection.</summary>
public sealed class RedisFixture : IAsyncLifetime
{
    private LocalServerApp? _server;
    private ConnectionMultiplexer? _connection;

    public IConnectionMultiplexer Connection => _connection ?? throw new InvalidOperationException("Redis has not started");

    public IDatabase Database => Connection.GetDatabase();

    public IServer Server => Connection.GetServers()[0];

    public string ConnectionString => _server?.ConnectionString ?? throw new InvalidOperationException("Redis has not started");

    public async Task InitializeAsync()
    {
        _server = await LocalServerApp.StartRedisAsync();
        _connection = await ConnectionMultiplexer.ConnectAsync($"{_server.ConnectionString},allowAdmin=true");
    }

    public async Task DisposeAsync()
    {
        if (_connection is not null)
        {
            await _connection.DisposeAsync();
        }
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }
}

[CollectionDefinition(Name)]
public sealed class RedisCollection : ICollectionFixture<RedisFixture>
{
    public const string Name = "redis";
}
