using FluxGate.Api.Kafka;
using FluxGate.Api.Redis;
using FluxGate.Contracts;
using StackExchange.Redis;

namespace FluxGate.Api.Orders;

public enum CancellationOutcome
{
    Cancelled,
    AlreadyCancelled,
    NotFound,
    NotOwner,
    Failed,
}

/// <summary>
/// Cancels an accepted order. Kafka first (the persister marks the row cancelled, idempotently), then Redis
/// returns the unit exactly once. The reverse order could return a unit that a failed produce then has to
/// take back after someone else bought it: a unit sold twice. A crash in between holds the unit back
/// (undersell, never oversell) until the cancel is retried.
/// </summary>
public sealed class OrderCancellation(
    OrderLookup lookup, OrderEventProducer producer, IConnectionMultiplexer redis, GateScripts scripts, StockBucketMap bucketMap, TimeProvider time)
{
    private static readonly RedisValue MarkerLifetimeMs = (long)TimeSpan.FromDays(30).TotalMilliseconds;
    private readonly IDatabase _redis = redis.GetDatabase();

    /// <param name="userId">Who must have placed the order; null: anyone (the admin key).</param>
    /// <param name="signedIn">Whether the caller is signed in as <paramref name="userId"/>: an order placed signed in is not
    /// cancelled by someone who only names its userId in the body.</param>
    public async Task<CancellationOutcome> CancelAsync(Guid orderId, string? userId, bool signedIn, CancellationToken cancellationToken)
    {
        var order = await lookup.FindAsync(orderId, cancellationToken);
        if (order is null)
        {
            return CancellationOutcome.NotFound;
        }
        if (userId is not null && (order.UserId != userId || (order.SignedIn && !signedIn)))
        {
            return CancellationOutcome.NotOwner;
        }
        if (order.Status == "cancelled")
        {
            return CancellationOutcome.AlreadyCancelled;
        }

        var cancel = new OrderCancelled(orderId, order.ProductId, time.GetUtcNow());
        var delivery = await producer.ProduceAsync(cancel);
        if (delivery != DeliveryOutcome.Persisted)
        {
            return CancellationOutcome.Failed;
        }

        // The unit goes back to the stock bucket the order was decided in (the product itself unless split), found by the
        // slot its id carries: a re-init with another split between two cancels must not lead the second to another
        // bucket, whose cancel marker it would not find (the unit would come back twice).
        var bucket = await bucketMap.ReadDecidingBucketAsync(order.ProductId, orderId, order.IdempotencyKey);
        return await ReturnUnitAsync(_redis, scripts, order, cancel, bucket) ? CancellationOutcome.Cancelled : CancellationOutcome.AlreadyCancelled;
    }

    /// <summary>
    /// The Redis half of a cancel (cancel.lua): the unit back to stock exactly once, the event kept until PostgreSQL has it,
    /// and the customer's allowance back (the customer is the order's user: a signed-in shopper's subject is its userId).
    /// </summary>
    /// <param name="bucket">The order's stock bucket; null: the product itself.</param>
    /// <returns>True when this call returned the unit, false when the order was already cancelled.</returns>
    public static async Task<bool> ReturnUnitAsync(IDatabase redis, GateScripts scripts, KnownOrder order, OrderCancelled cancel, string? bucket = null)
    {
        bucket ??= order.ProductId;
        var returned = await scripts.Cancel.EvaluateAsync(
            redis,
            [RedisKeys.Stock(bucket), RedisKeys.Cancelled(bucket, order.OrderId),
                OrderRecords.KeyOf(order.OrderId), RedisKeys.Ledger(bucket), RedisKeys.Purchases(bucket)],
            [MarkerLifetimeMs, OrderEventRecord.Encode(cancel), order.UserId, order.AcceptedAt.ToUnixTimeMilliseconds(),
                OrderRecords.CancelField(order.OrderId)]);
        return (long)returned == 1;
    }
}
