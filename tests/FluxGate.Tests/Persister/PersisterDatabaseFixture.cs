using FluxGate.Storage.Schema;
using FluxGate.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace FluxGate.Tests.Persister;

/// <summary>One real PostgreSQL server for the persister's database tests; each test gets a database of its own.</summary>
public sealed class PersisterDatabaseFixture : IAsyncLifetime
{
    private readonly List<NpgsqlDataSource> _dataSources = [];

    public LocalServerApp Server { get; private set; } = null!;

    public async Task InitializeAsync() => Server = await LocalServerApp.StartPostgresAsync();

    public async Task DisposeAsync()
    {
        foreach (var dataSource in _dataSources)
        {
            await dataSource.DisposeAsync();
        }
        await Server.DisposeAsync();
    }

    /// <summary>A new, empty database (no schema).</summary>
    public async Task<NpgsqlDataSource> CreateEmptyDatabaseAsync()
    {
        var name = "persister_" + Guid.NewGuid().ToString("N")[..12];
        await using (var admin = new NpgsqlConnection(Server.ConnectionStringFor("postgres") + ";Pooling=false"))
        {
            await admin.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE {name}", admin);
            await create.ExecuteNonQueryAsync();
        }
        var dataSource = NpgsqlDataSource.Create(Server.ConnectionStringFor(name));
        _dataSources.Add(dataSource);
        return dataSource;
    }

    /// <summary>A new database with the persister's schema.</summary>
    public async Task<NpgsqlDataSource> CreateDatabaseAsync()
    {
        var dataSource = await CreateEmptyDatabaseAsync();
        await new SchemaMigrator(dataSource, NullLogger<SchemaMigrator>.Instance).MigrateAsync(CancellationToken.None);
        return dataSource;
    }
}

[CollectionDefinition(Name)]
public sealed class PersisterDatabaseCollection : ICollectionFixture<PersisterDatabaseFixture>
{
    public const string Name = "persister-database";
}
