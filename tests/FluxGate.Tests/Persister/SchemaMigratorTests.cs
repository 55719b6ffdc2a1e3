using FluxGate.Storage.Schema;
using Microsoft.Extensions.Logging.Abstractions;

namespace FluxGate.Tests.Persister;

[Collection(PersisterDatabaseCollection.Name)]
public sealed class SchemaMigratorTests(PersisterDatabaseFixture database)
{
    [Fact]
    public async Task Persisters_starting_together_migrate_once_and_all_succeed()
    {
        var dataSource = await database.CreateEmptyDatabaseAsync();

        var runs = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ =>
            Task.Run(() => new SchemaMigrator(dataSource, NullLogger<SchemaMigrator>.Instance).MigrateAsync(CancellationToken.None))));

        Assert.Single(runs, applied => applied.Count > 0);
        Assert.Equal(Migrations.All.Select(migration => migration.Version), runs.Single(applied => applied.Count > 0));
        Assert.Equal(Migrations.All.Count, (int)await dataSource.ScalarAsync<long>("SELECT count(*) FROM schema_version"));
        Assert.Equal(Migrations.LatestVersion, await dataSource.ScalarAsync<int>("SELECT max(version) FROM schema_version"));
    }

    [Fact]
    public async Task A_second_start_finds_nothing_to_do()
    {
        var dataSource = await database.CreateDatabaseAsync();

        var applied = await new SchemaMigrator(dataSource, NullLogger<SchemaMigrator>.Instance).MigrateAsync(CancellationToken.None);

        Assert.Empty(applied);
    }

    [Fact]
    public async Task Creates_the_tables_and_columns_other_tools_query()
    {
        var dataSource = await database.CreateDatabaseAsync();

        Assert.Equal("id text NO, initial_stock integer NO, initialized_at timestamp with time zone YES, starts_at timestamp with time zone YES, stock integer NO, " +
                     "updated_at timestamp with time zone NO",
            await ColumnsAsync(dataSource, "products"));
        Assert.Equal("accepted_at timestamp with time zone NO, created_at timestamp with time zone NO, id uuid NO, " +
                     "idempotency_key text YES, product_id text NO, signed_in boolean NO, status text NO, user_id text NO",
            await ColumnsAsync(dataSource, "orders"));
        Assert.Equal("error text NO, failed_at timestamp with time zone NO, id bigint NO, key bytea YES, offset bigint NO, " +
                     "partition integer NO, payload bytea YES, topic text NO",
            await ColumnsAsync(dataSource, "dead_letters"));
        Assert.Equal("'accepted'::text", await dataSource.ScalarAsync<string>(
            "SELECT column_default FROM information_schema.columns WHERE table_name = 'orders' AND column_name = 'status'"));
        Assert.Equal(1L, await dataSource.ScalarAsync<long>(
            "SELECT count(*) FROM pg_indexes WHERE tablename = 'orders' AND indexdef LIKE '%(product_id)%'"));
        Assert.Equal("PRIMARY KEY (id)", await dataSource.ScalarAsync<string>(
            "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = 'orders'::regclass AND contype = 'p'"));
    }

    private static Task<string> ColumnsAsync(Npgsql.NpgsqlDataSource dataSource, string table) =>
        dataSource.ScalarAsync<string>(
            """
            SELECT string_agg(column_name || ' ' || data_type || ' ' || is_nullable, ', ' ORDER BY column_name)
            FROM information_schema.columns WHERE table_schema = 'public' AND table_name = $1
            """, table);
}
