using FluxGate.Api.Redis;
using FluxGate.Contracts;
using FluxGate.Storage;
using Npgsql;
using StackExchange.Redis;

namespace FluxGate.Api.Orders;

/// <summary>An accepted order as far as we know it.</summary>
/// <param name="Status"><c>accepted</c> or <c>cancelled</c>.</param>
/// <param name="Persisted">True when PostgreSQL has it; false while it is in Kafka on its way there.</param>
/// <param name="IdempotencyKey">The key it was placed with: which of the product's stock buckets holds it.</param>
/// <param name="SignedIn">Placed with a shopper token: only that shopper (or the admin key) may cancel it.</param>
public sealed record KnownOrder(
    Guid OrderId, string ProductId, string UserId, string Status, bool Persisted, DateTimeOffset AcceptedAt, string? IdempotencyKey = null,
    bool SignedIn = false);

/// <summary>
/// Finds orders: PostgreSQL is the record; the order's record in Redis (<see cref="OrderRecords"/>) covers the moment
/// between Kafka's acknowledgement and the persister's insert.
/// </summary>
public sealed class OrderLookup(OrderStore store, IConnectionMultiplexer redis, StockBucketMap bucketMap)
{
    /// <summary>
    /// How long a lookup waits for PostgreSQL. Against a stalled server Npgsql gives up far later than its command
    /// timeout (its cancel request waits on the server too: a minute here), so the lookup gives up first, with a
    /// <see cref="TimeoutException"/> (answered 503).
    /// </summary>
    public static readonly TimeSpan PostgresTimeout = TimeSpan.FromSeconds(5);
    private readonly IDatabase _redis = redis.GetDatabase();

    /// <exception cref="NpgsqlException">PostgreSQL is unreachable.</exception>
    /// <exception cref="TimeoutException">PostgreSQL did not answer within <see cref="PostgresTimeout"/>.</exception>
    public async Task<KnownOrder?> FindAsync(Guid orderId, CancellationToken cancellationToken)
    {
        if (await FindPersistedAsync(orderId, cancellationToken).WaitAsync(PostgresTimeout, cancellationToken) is { } persisted)
        {
            return persisted;
        }

        if (OrderRecords.Parse(new HashEntry(orderId.ToString("N"), await _redis.HashGetAsync(OrderRecords.KeyOf(orderId), orderId.ToString("N"))))
            is AcknowledgedEvent { Event: OrderAccepted accepted })
        {
            var bucket = await bucketMap.ReadDecidingBucketAsync(accepted.ProductId, orderId, accepted.IdempotencyKey);
            var cancelled = await _redis.KeyExistsAsync(RedisKeys.Cancelled(bucket, orderId));
            return new KnownOrder(orderId, accepted.ProductId, accepted.UserId, cancelled ? "cancelled" : "accepted", Persisted: false,
                accepted.AcceptedAt, accepted.IdempotencyKey, accepted.SignedIn);
        }
        return null;
    }

    private async Task<KnownOrder?> FindPersistedAsync(Guid orderId, CancellationToken cancellationToken) =>
        await store.FindAsync(orderId, cancellationToken) is { } order
            ? new KnownOrder(orderId, order.ProductId, order.UserId, order.Status, Persisted: true, order.AcceptedAt, order.IdempotencyKey, order.SignedIn)
            : null;
}
