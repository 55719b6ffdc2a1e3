using Npgsql;

namespace FluxGate.Storage;

/// <summary>A product as the persister keeps it in PostgreSQL.</summary>
/// <param name="InitializedAt">When its last <c>StockInitialized</c> happened (null for rows older than that column).</param>
/// <param name="StartsAt">When its sale opens, for a scheduled drop.</param>
public sealed record PersistedProduct(string ProductId, int Stock, int InitialStock, DateTimeOffset? InitializedAt, DateTimeOffset? StartsAt = null);

/// <summary>An accepted order's idempotency key and how much of its window is left.</summary>
public sealed record RecentKey(Guid OrderId, string IdempotencyKey, long RemainingMs);

/// <summary>An order as PostgreSQL keeps it.</summary>
/// <param name="Status"><c>accepted</c> or <c>cancelled</c>.</param>
public sealed record PersistedOrder(
    Guid OrderId, string ProductId, string UserId, string Status, DateTimeOffset AcceptedAt, string? IdempotencyKey, bool SignedIn);

/// <summary>
/// Every question the api asks PostgreSQL, next to the schema (<see cref="Schema.Migrations"/>) the persister applies and
/// writes: an order's status, what the reconciler, the restore and the invariant report need, the persister's progress.
/// While the persister has not created its schema yet, each answers as if nothing were persisted.
/// </summary>
public sealed class OrderStore(NpgsqlDataSource database)
{
    /// <summary>The order, or null when PostgreSQL does not have it.</summary>
    public async Task<PersistedOrder?> FindAsync(Guid orderId, CancellationToken cancellationToken)
    {
        await using var command = database.CreateCommand(
            "SELECT product_id, user_id, status, accepted_at, idempotency_key, signed_in FROM orders WHERE id = $1");
        command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = orderId });
        await using var reader = await ExecuteAsync(command, cancellationToken);
        return reader is not null && await reader.ReadAsync(cancellationToken)
            ? new PersistedOrder(orderId, reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetFieldValue<DateTimeOffset>(3),
                reader.IsDBNull(4) ? null : reader.GetString(4), reader.GetBoolean(5))
            : null;
    }

    /// <summary>Per partition of <paramref name="topic"/>, the next offset the persister will apply (no row: nothing applied yet).</summary>
    public async Task<IReadOnlyDictionary<int, long>> AppliedOffsetsAsync(string topic, CancellationToken cancellationToken)
    {
        await using var command = database.CreateCommand("""SELECT "partition", next_offset FROM applied_offsets WHERE topic = $1""");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = topic });
        var applied = new Dictionary<int, long>();
        await using var reader = await ExecuteAsync(command, cancellationToken);
        while (reader is not null && await reader.ReadAsync(cancellationToken))
        {
            applied[reader.GetInt32(0)] = reader.GetInt64(1);
        }
        return applied;
    }

    /// <summary>The status (<c>accepted</c> or <c>cancelled</c>) of each of <paramref name="orderIds"/> PostgreSQL has.</summary>
    public async Task<Dictionary<Guid, string>> StatusesAsync(IReadOnlyCollection<Guid> orderIds, CancellationToken cancellationToken)
    {
        var statuses = new Dictionary<Guid, string>(orderIds.Count);
        if (orderIds.Count == 0)
        {
            return statuses;
        }
        // The status as a flag: the reconciler asks this for every order once, and two constant strings allocate nothing.
        await using var command = database.CreateCommand("SELECT id, status = 'cancelled' FROM orders WHERE id = ANY($1)");
        command.Parameters.Add(new NpgsqlParameter<Guid[]> { TypedValue = orderIds.ToArray() });
        await using var reader = await ExecuteAsync(command, cancellationToken);
        while (reader is not null && await reader.ReadAsync(cancellationToken))
        {
            statuses[reader.GetGuid(0)] = reader.GetBoolean(1) ? "cancelled" : "accepted";
        }
        return statuses;
    }

    public async Task<PersistedProduct?> ProductAsync(string productId, CancellationToken cancellationToken)
    {
        await using var command = database.CreateCommand("SELECT stock, initial_stock, initialized_at, starts_at FROM products WHERE id = $1");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = productId });
        await using var reader = await ExecuteAsync(command, cancellationToken);
        return reader is not null && await reader.ReadAsync(cancellationToken)
            ? new PersistedProduct(productId, reader.GetInt32(0), reader.GetInt32(1),
                reader.IsDBNull(2) ? null : reader.GetFieldValue<DateTimeOffset>(2),
                reader.IsDBNull(3) ? null : reader.GetFieldValue<DateTimeOffset>(3))
            : null;
    }

    /// <summary>The product's orders accepted at or after <paramref name="since"/> (all when null): all of them, and the cancelled ones.</summary>
    public async Task<(long All, long Cancelled)> CountOrdersAsync(string productId, DateTimeOffset? since, CancellationToken cancellationToken)
    {
        await using var command = database.CreateCommand(
            """
            SELECT count(*), count(*) FILTER (WHERE status = 'cancelled')
            FROM orders WHERE product_id = $1 AND ($2::timestamptz IS NULL OR accepted_at >= $2)
            """);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = productId });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)since?.UtcDateTime ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.TimestampTz });
        await using var reader = await ExecuteAsync(command, cancellationToken);
        return reader is not null && await reader.ReadAsync(cancellationToken) ? (reader.GetInt64(0), reader.GetInt64(1)) : (0, 0);
    }

    /// <summary>The idempotency keys of the product's orders accepted less than <paramref name="ttl"/> ago, with what is left of their window.</summary>
    public async Task<List<RecentKey>> RecentKeysAsync(string productId, TimeSpan ttl, CancellationToken cancellationToken)
    {
        await using var command = database.CreateCommand(
            """
            SELECT id, idempotency_key, ceil(extract(epoch FROM (accepted_at + $2 - now())) * 1000)::bigint
            FROM orders
            WHERE product_id = $1 AND idempotency_key IS NOT NULL AND accepted_at > now() - $2
            """);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = productId });
        command.Parameters.Add(new NpgsqlParameter<TimeSpan> { TypedValue = ttl });
        var keys = new List<RecentKey>();
        await using var reader = await ExecuteAsync(command, cancellationToken);
        while (reader is not null && await reader.ReadAsync(cancellationToken))
        {
            keys.Add(new RecentKey(reader.GetGuid(0), reader.GetString(1), Math.Max(1, reader.GetInt64(2))));
        }
        return keys;
    }

    /// <returns>Null while the persister has not created its schema yet (nothing is persisted then).</returns>
    private static async Task<NpgsqlDataReader?> ExecuteAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        try
        {
            return await command.ExecuteReaderAsync(cancellationToken);
        }
        catch (PostgresException exception) when (exception.SqlState is PostgresErrorCodes.UndefinedTable or PostgresErrorCodes.UndefinedColumn)
        {
            return null;
        }
    }
}
