using FluxGate.Api.Kafka;
using FluxGate.Clients;
using FluxGate.Contracts;

namespace FluxGate.Api.Orders;

/// <summary>
/// One valid order from decision to answer: the Redis script decides; a reservation goes to Kafka; Kafka's
/// answer confirms it or undoes it. Nothing is sold twice and no unit leaks when Kafka refuses.
/// </summary>
public sealed partial class OrderIntake(
    OrderGate gate, OrderEventProducer producer, ConfirmRetryQueue confirms, TimeProvider time, ILogger<OrderIntake> logger)
{
    // ValueTask: an order answered without waiting (sold out here) allocates no Task.
    public async ValueTask<OrderResult> PlaceAsync(string productId, string userId, string idempotencyKey, long? admittedTicket, Shopper shopper)
    {
        // A Redis failure here throws: ErrorMapping answers the spec's 500 (retry with the same key).
        var decision = await gate.DecideAsync(productId, idempotencyKey, admittedTicket, shopper);

        return decision.Kind switch
        {
            OrderDecisionKind.Reserved => await HandOverAsync(productId, userId, idempotencyKey, decision, admittedTicket, shopper),
            OrderDecisionKind.Duplicate => new OrderResult(OrderOutcome.Duplicate, decision.OrderId),
            OrderDecisionKind.InProgress => new OrderResult(OrderOutcome.InProgress, decision.OrderId),
            OrderDecisionKind.SoldOut or OrderDecisionKind.NotInitialized => new OrderResult(OrderOutcome.SoldOut),
            OrderDecisionKind.RateLimited => new OrderResult(OrderOutcome.RateLimited),
            OrderDecisionKind.NotOpenYet => new OrderResult(OrderOutcome.NotOpenYet),
            OrderDecisionKind.AdmissionAlreadyUsed => new OrderResult(OrderOutcome.AdmissionAlreadyUsed),
            OrderDecisionKind.LimitReached => new OrderResult(OrderOutcome.LimitReached),
            _ => throw new InvalidOperationException($"Unhandled decision {decision.Kind}"),
        };
    }

    private async Task<OrderResult> HandOverAsync(string productId, string userId, string idempotencyKey, OrderDecision reservation, long? admittedTicket, Shopper shopper)
    {
        var orderId = reservation.OrderId;
        var accepted = new OrderAccepted(orderId, productId, userId, idempotencyKey, time.GetUtcNow(), shopper.IsAuthenticated);
        var delivery = await producer.ProduceAsync(accepted);

        switch (delivery)
        {
            case DeliveryOutcome.Persisted:
                // Kafka has the order, so it is accepted whatever Redis does next: a confirm Redis cannot take now is
                // retried in the background, and the key answers "in progress" (never a second order) until it lands.
                await confirms.ConfirmAsync(accepted, reservation.Bucket);
                return new OrderResult(OrderOutcome.Accepted, orderId);

            case DeliveryOutcome.NotPersisted:
                try
                {
                    await gate.CompensateAsync(productId, idempotencyKey, orderId, admittedTicket, reservation.Bucket);
                    LogOrderFailed(logger, productId, userId, idempotencyKey, orderId, "kafka refused; unit returned", null);
                }
                catch (Exception exception) when (exception.IsDependencyFault())
                {
                    LogOrderFailed(logger, productId, userId, idempotencyKey, orderId, "kafka refused; unit NOT returned yet (redis unavailable)", exception);
                }
                return new OrderResult(OrderOutcome.Failed, orderId);

            default:
                // Kafka may have it: returning the unit could sell it twice. The key stays "in progress" until the
                // reconciler resolves the reservation from PostgreSQL (accepted, or the unit returned), so a retry
                // learns that rather than placing a second order.
                LogOrderFailed(logger, productId, userId, idempotencyKey, orderId, "kafka delivery uncertain; unit held", null);
                return new OrderResult(OrderOutcome.Failed, orderId);
        }
    }

    [LoggerMessage(LogLevel.Error, "Order failed for product {ProductId}, user {UserId}, key {IdempotencyKey}, order {OrderId}: {Reason}")]
    private static partial void LogOrderFailed(ILogger logger, string productId, string userId, string idempotencyKey, Guid orderId, string reason, Exception? exception);
}
