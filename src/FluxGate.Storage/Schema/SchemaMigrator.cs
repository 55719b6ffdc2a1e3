using Microsoft.Extensions.Logging;
using Npgsql;

namespace FluxGate.Storage.Schema;

/// <summary>
/// Brings the database to <see cref="Migrations.LatestVersion"/>. Several persisters may start at once: each
/// takes the same transaction-scoped advisory lock first, so one migrates while the others wait and then find
/// nothing left to do. The lock is released by the commit, or by the server if the connection dies.
/// </summary>
public sealed class SchemaMigrator(NpgsqlDataSource dataSource, ILogger<SchemaMigrator> logger)
{
    /// <summary>
    /// Advisory lock key shared by every FluxGate persister ("FGSCHEMA" as ASCII). Advisory locks are per database, so
    /// persisters of other databases on the same server do not wait for each other.
    /// </summary>
    public const long MigrationLockKey = 0x4647_5343_4845_4D41;

    /// <returns>The versions this call applied (empty when the schema was already current).</returns>
    public async Task<IReadOnlyList<int>> MigrateAsync(CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);

        await ExecuteAsync(connection, transaction, $"SELECT pg_advisory_xact_lock({MigrationLockKey})", cancellationToken);
        await ExecuteAsync(connection, transaction,
            """
            CREATE TABLE IF NOT EXISTS schema_version (
                version     integer     PRIMARY KEY,
                description text        NOT NULL,
                applied_at  timestamptz NOT NULL DEFAULT now()
            )
            """, cancellationToken);

        int current;
        await using (var command = new NpgsqlCommand("SELECT coalesce(max(version), 0) FROM schema_version", connection, transaction))
        {
            current = (int)(await command.ExecuteScalarAsync(cancellationToken))!;
        }

        var applied = new List<int>();
        foreach (var (version, description, sql) in Migrations.All.Where(migration => migration.Version > current))
        {
            await ExecuteAsync(connection, transaction, sql, cancellationToken);
            await using var record = new NpgsqlCommand(
                "INSERT INTO schema_version (version, description) VALUES ($1, $2)", connection, transaction)
            {
                Parameters = { new() { Value = version }, new() { Value = description } },
            };
            await record.ExecuteNonQueryAsync(cancellationToken);
            applied.Add(version);
        }

        await transaction.CommitAsync(cancellationToken);

        if (current > Migrations.LatestVersion)
        {
            logger.LogWarning(
                "The database schema is at version {Current}, newer than this persister's {Latest}: an older build is running beside a newer one",
                current, Migrations.LatestVersion);
        }
        else if (applied.Count > 0)
        {
            logger.LogInformation("Schema migrated from version {From} to {To}", current, applied[^1]);
        }
        else
        {
            logger.LogInformation("Schema is current (version {Version})", current);
        }
        return applied;
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection, transaction);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
