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
    OrderLookup lookup, OrderEventProducer producer, IConnectionMultiplexer redis, GateScripts scripts, TimeProvider time)
{
    private static readonly RedisValue MarkerLifetimeMs = (long)TimeSpan.FromDays(30).TotalMilliseconds;
    private readonly IDatabase _redis = redis.GetDatabase();

    public async Task<CancellationOutcome> CancelAsync(Guid orderId, string userId, CancellationToken cancellationToken)
    {
        var order = await lookup.FindAsync(orderId, cancellationToken);
        if (order is null)
        {
            return CancellationOutcome.NotFound;
        }
        if (order.UserId != userId)
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

        var returned = await scripts.Cancel.EvaluateAsync(
            _redis,
            [RedisKeys.Stock(order.ProductId), RedisKeys.Cancelled(order.ProductId, orderId),
                RedisKeys.Unpersisted(order.ProductId), RedisKeys.Ledger(order.ProductId)],
            [MarkerLifetimeMs, OrderEventSerializer.Serialize(cancel)]);
        return (long)returned == 1 ? CancellationOutcome.Cancelled : CancellationOutcome.AlreadyCancelled;
    }
}
