using FluxGate.Api.Kafka;
using FluxGate.Contracts;
using StackExchange.Redis;

namespace FluxGate.Api.Orders;

/// <summary>
/// One valid order from decision to answer: the Redis script decides; a reservation goes to Kafka; Kafka's
/// answer confirms it or undoes it. Nothing is sold twice and no unit leaks when Kafka refuses.
/// </summary>
public sealed partial class OrderIntake(
    OrderGate gate, OrderEventProducer producer, OrderLookup lookup, TimeProvider time, ILogger<OrderIntake> logger)
{
    public async Task<OrderResult> PlaceAsync(OrderRequest order, string idempotencyKey, long? admittedTicket)
    {
        OrderDecision decision;
        try
        {
            decision = await gate.DecideAsync(order.ProductId, idempotencyKey, admittedTicket);
        }
        catch (RedisException exception)
        {
            LogOrderFailed(logger, order.ProductId, order.UserId, idempotencyKey, Guid.Empty, "redis unavailable", exception);
            return new OrderResult(OrderOutcome.Failed);
        }

        return decision.Kind switch
        {
            OrderDecisionKind.Reserved => await HandOverAsync(order, idempotencyKey, decision.OrderId, admittedTicket),
            OrderDecisionKind.Duplicate => new OrderResult(OrderOutcome.Duplicate, decision.OrderId),
            OrderDecisionKind.InProgress => new OrderResult(OrderOutcome.InProgress, decision.OrderId),
            OrderDecisionKind.SoldOut or OrderDecisionKind.NotInitialized => new OrderResult(OrderOutcome.SoldOut),
            OrderDecisionKind.RateLimited => new OrderResult(OrderOutcome.RateLimited),
            OrderDecisionKind.AdmissionAlreadyUsed => new OrderResult(OrderOutcome.AdmissionAlreadyUsed),
            _ => throw new InvalidOperationException($"Unhandled decision {decision.Kind}"),
        };
    }

    private async Task<OrderResult> HandOverAsync(OrderRequest order, string idempotencyKey, Guid orderId, long? admittedTicket)
    {
        var accepted = new OrderAccepted(orderId, order.ProductId, order.UserId, idempotencyKey, time.GetUtcNow());
        var delivery = await producer.ProduceAsync(accepted);

        switch (delivery)
        {
            case DeliveryOutcome.Persisted:
                lookup.IndexAccepted(accepted);
                try
                {
                    await gate.ConfirmAsync(order.ProductId, idempotencyKey, orderId);
                }
                catch (RedisException exception)
                {
                    // Kafka has the order, so it is accepted; the key just answers "in progress" until it expires.
                    LogConfirmFailed(logger, orderId, exception);
                }
                return new OrderResult(OrderOutcome.Accepted, orderId);

            case DeliveryOutcome.NotPersisted:
                try
                {
                    await gate.CompensateAsync(order.ProductId, idempotencyKey, orderId, admittedTicket);
                    LogOrderFailed(logger, order.ProductId, order.UserId, idempotencyKey, orderId, "kafka refused; unit returned", null);
                }
                catch (RedisException exception)
                {
                    LogOrderFailed(logger, order.ProductId, order.UserId, idempotencyKey, orderId, "kafka refused; unit NOT returned (redis unavailable)", exception);
                }
                return new OrderResult(OrderOutcome.Failed, orderId);

            default:
                // Kafka may have it: returning the unit could sell it twice. The key stays "in progress"
                // until its TTL, so a retry learns that rather than placing a second order.
                LogOrderFailed(logger, order.ProductId, order.UserId, idempotencyKey, orderId, "kafka delivery uncertain; unit held", null);
                return new OrderResult(OrderOutcome.Failed, orderId);
        }
    }

    [LoggerMessage(LogLevel.Error, "Order failed for product {ProductId}, user {UserId}, key {IdempotencyKey}, order {OrderId}: {Reason}")]
    private static partial void LogOrderFailed(ILogger logger, string productId, string userId, string idempotencyKey, Guid orderId, string reason, Exception? exception);

    [LoggerMessage(LogLevel.Warning, "Order {OrderId} is in Kafka but its key could not be marked accepted")]
    private static partial void LogConfirmFailed(ILogger logger, Guid orderId, Exception exception);
}
