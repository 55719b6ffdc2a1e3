using System.Globalization;
using FluxGate.Contracts;
using Npgsql;
using StackExchange.Redis;

namespace FluxGate.Api.Orders;

/// <summary>An accepted order as far as we know it.</summary>
/// <param name="Status"><c>accepted</c> or <c>cancelled</c>.</param>
/// <param name="Persisted">True when PostgreSQL has it; false while it is in Kafka on its way there.</param>
public sealed record KnownOrder(Guid OrderId, string ProductId, string UserId, string Status, bool Persisted, DateTimeOffset AcceptedAt);

/// <summary>
/// Finds orders: PostgreSQL is the record; the short-lived Redis index written at acceptance covers the
/// moment between Kafka's acknowledgement and the persister's insert.
/// </summary>
public sealed class OrderLookup(NpgsqlDataSource database, IConnectionMultiplexer redis)
{
    private static readonly TimeSpan IndexLifetime = TimeSpan.FromHours(24);
    private readonly IDatabase _redis = redis.GetDatabase();

    /// <summary>Fire-and-forget: the index only serves status lookups, so the order's answer never waits for it.</summary>
    public void IndexAccepted(OrderAccepted order) =>
        _redis.StringSet(
            RedisKeys.AcceptedOrder(order.OrderId),
            string.Create(CultureInfo.InvariantCulture, $"{order.ProductId}|{order.UserId}|{order.AcceptedAt.ToUnixTimeMilliseconds()}"),
            IndexLifetime,
            flags: CommandFlags.FireAndForget);

    /// <exception cref="NpgsqlException">PostgreSQL is unreachable.</exception>
    public async Task<KnownOrder?> FindAsync(Guid orderId, CancellationToken cancellationToken)
    {
        if (await FindPersistedAsync(orderId, cancellationToken) is { } persisted)
        {
            return persisted;
        }

        var indexed = (string?)await _redis.StringGetAsync(RedisKeys.AcceptedOrder(orderId));
        if (indexed?.Split('|') is [var productId, var userId, var acceptedAtMs]
            && long.TryParse(acceptedAtMs, CultureInfo.InvariantCulture, out var milliseconds))
        {
            var cancelled = await _redis.KeyExistsAsync(RedisKeys.Cancelled(productId, orderId));
            return new KnownOrder(orderId, productId, userId, cancelled ? "cancelled" : "accepted", Persisted: false,
                DateTimeOffset.FromUnixTimeMilliseconds(milliseconds));
        }
        return null;
    }

    private async Task<KnownOrder?> FindPersistedAsync(Guid orderId, CancellationToken cancellationToken)
    {
        await using var command = database.CreateCommand(
            "SELECT product_id, user_id, status, accepted_at FROM orders WHERE id = $1");
        command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = orderId });
        try
        {
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            return await reader.ReadAsync(cancellationToken)
                ? new KnownOrder(orderId, reader.GetString(0), reader.GetString(1), reader.GetString(2), Persisted: true,
                    reader.GetFieldValue<DateTimeOffset>(3))
                : null;
        }
        catch (PostgresException exception) when (exception.SqlState == PostgresErrorCodes.UndefinedTable)
        {
            // The persister has not created its schema yet: nothing is persisted.
            return null;
        }
    }
}
