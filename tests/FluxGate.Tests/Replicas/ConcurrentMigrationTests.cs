using FluxGate.Storage.Schema;
using FluxGate.Tests.Infrastructure;
using FluxGate.Tests.Persister;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace FluxGate.Tests.Replicas;

/// <summary>
/// Two persister replicas start together against a fresh database: each migrates at start, through a pool of its own
/// (as two processes would), and the advisory lock makes one of them do the work and the other find it done.
/// </summary>
[Collection(PersisterDatabaseCollection.Name)]
public sealed class ConcurrentMigrationTests(PersisterDatabaseFixture database)
{
    [Fact]
    public async Task Two_persisters_migrating_at_once_both_succeed_and_the_schema_is_made_once()
    {
        var fresh = await database.CreateEmptyDatabaseAsync();
        await using var first = NpgsqlDataSource.Create(fresh.ConnectionString);
        await using var second = NpgsqlDataSource.Create(fresh.ConnectionString);
        var go = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var starting = new[] { first, second }.Select(dataSource => Task.Run(async () =>
        {
            await go.Task;
            return await new SchemaMigrator(dataSource, NullLogger<SchemaMigrator>.Instance).MigrateAsync(CancellationToken.None);
        })).ToList();

        go.SetResult();
        var migrations = await Task.WhenAll(starting);

        Assert.Single(migrations, applied => applied.Count > 0);
        Assert.Single(migrations, applied => applied.Count == 0);
        Assert.Equal(Migrations.All.Select(migration => migration.Version), migrations.Single(applied => applied.Count > 0));
        Assert.Equal(Migrations.All.Count, (int)await fresh.ScalarAsync<long>("SELECT count(*) FROM schema_version"));
        Assert.Equal(Migrations.All.Count, (int)await fresh.ScalarAsync<long>("SELECT count(DISTINCT version) FROM schema_version"));
        Assert.Equal(4L, await fresh.ScalarAsync<long>(
            """
            SELECT count(*) FROM pg_tables
            WHERE schemaname = 'public' AND tablename IN ('products', 'orders', 'dead_letters', 'applied_offsets')
            """));
    }

    [Fact]
    public async Task A_persister_starting_while_another_migrates_waits_for_it_then_finds_nothing_to_do()
    {
        var fresh = await database.CreateEmptyDatabaseAsync();
        await using var other = NpgsqlDataSource.Create(fresh.ConnectionString);

        // "The other replica" is in the middle of its migration: it holds the lock in an open transaction.
        await using var holder = await other.OpenConnectionAsync();
        await using var migrating = await holder.BeginTransactionAsync();
        await using (var take = new NpgsqlCommand($"SELECT pg_advisory_xact_lock({SchemaMigrator.MigrationLockKey})", holder, migrating))
        {
            await take.ExecuteNonQueryAsync();
        }
        // It gets as far as the whole schema, then commits only after the second replica has started.
        foreach (var (_, _, sql) in Migrations.All)
        {
            await using var step = new NpgsqlCommand(sql, holder, migrating);
            await step.ExecuteNonQueryAsync();
        }
        await using (var create = new NpgsqlCommand(
            "CREATE TABLE schema_version (version integer PRIMARY KEY, description text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())",
            holder, migrating))
        {
            await create.ExecuteNonQueryAsync();
        }
        await using (var record = new NpgsqlCommand(
            "INSERT INTO schema_version (version, description) SELECT v, 'by the other replica' FROM unnest($1::integer[]) AS v",
            holder, migrating))
        {
            record.Parameters.Add(new NpgsqlParameter { Value = Migrations.All.Select(migration => migration.Version).ToArray() });
            await record.ExecuteNonQueryAsync();
        }

        var second = Task.Run(() => new SchemaMigrator(fresh, NullLogger<SchemaMigrator>.Instance).MigrateAsync(CancellationToken.None));

        // It waits on the advisory lock, not on anything else.
        await Eventually.UntilAsync(
            () => fresh.ScalarAsync<long>(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"),
            waiting => waiting == 1, "the second persister waits for the migration lock");
        Assert.False(second.IsCompleted);

        await migrating.CommitAsync();

        var applied = await second.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Empty(applied);
        Assert.Equal(Migrations.All.Count, (int)await fresh.ScalarAsync<long>("SELECT count(*) FROM schema_version"));
    }
}
