using FluxGate.Api.Options;
using FluxGate.Api.Redis;
using FluxGate.Contracts;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace FluxGate.Api.Orders;

/// <summary>
/// The Redis side of an order: one script round trip decides it (duplicate → sold out → rate → reserve);
/// after Kafka answers, the reservation is confirmed or undone.
/// </summary>
public sealed class OrderGate(
    IConnectionMultiplexer redis,
    GateScripts scripts,
    IOptions<RateLimitOptions> rateLimit,
    IOptions<IdempotencyOptions> idempotency,
    IOptions<AdmissionOptions> admission,
    IOptions<ReconciliationOptions> reconciliation)
{
    private readonly IDatabase _database = redis.GetDatabase();
    private readonly RedisValue _idempotencyTtlMs = (long)idempotency.Value.Ttl.TotalMilliseconds;
    private readonly RedisValue _permitsPerSecond = rateLimit.Value.PermitsPerSecond;
    private readonly RedisValue _burst = rateLimit.Value.EffectiveBurst;
    private readonly RedisValue _usedTicketRetentionMs = (long)admission.Value.UsedTicketRetention.TotalMilliseconds;
    private readonly RedisValue _inFlightHoldMs = (long)reconciliation.Value.InFlightHold.TotalMilliseconds;

    /// <param name="admittedTicket">The ticket of a verified admission token, which replaces the rate bucket once.</param>
    public async Task<OrderDecision> DecideAsync(string productId, string idempotencyKey, long? admittedTicket)
    {
        var orderId = Guid.CreateVersion7();
        RedisKey[] keys = admittedTicket is { } ticket
            ? [RedisKeys.Stock(productId), RedisKeys.RateBucket(productId), RedisKeys.Idempotency(productId, idempotencyKey), RedisKeys.InFlight(productId), RedisKeys.AdmissionUsed(productId, ticket)]
            : [RedisKeys.Stock(productId), RedisKeys.RateBucket(productId), RedisKeys.Idempotency(productId, idempotencyKey), RedisKeys.InFlight(productId)];
        RedisValue[] values =
        [
            orderId.ToString("N"), _idempotencyTtlMs, _permitsPerSecond, _burst, _usedTicketRetentionMs, _inFlightHoldMs,
            admittedTicket is { } used ? used : RedisValue.EmptyString,
        ];

        var result = await scripts.Order.EvaluateAsync(_database, keys, values).ConfigureAwait(false);
        return Interpret(result, orderId);
    }

    internal static OrderDecision Interpret(RedisResult result, Guid reservedOrderId)
    {
        if (result.Resp2Type == ResultType.Integer)
        {
            return (long)result switch
            {
                0 => new OrderDecision(OrderDecisionKind.Reserved, reservedOrderId),
                1 => new OrderDecision(OrderDecisionKind.SoldOut),
                2 => new OrderDecision(OrderDecisionKind.RateLimited),
                3 => new OrderDecision(OrderDecisionKind.NotInitialized),
                4 => new OrderDecision(OrderDecisionKind.AdmissionAlreadyUsed),
                var code => throw new InvalidOperationException($"The order script returned an unknown code {code}."),
            };
        }

        // A known key: "p:<order id>" while in flight, "a:<order id>" once accepted.
        var held = (string?)result;
        if (held is { Length: 34 } && held[1] == ':' && Guid.TryParseExact(held.AsSpan(2), "N", out var heldOrderId))
        {
            return held[0] switch
            {
                'a' => new OrderDecision(OrderDecisionKind.Duplicate, heldOrderId),
                'p' => new OrderDecision(OrderDecisionKind.InProgress, heldOrderId),
                _ => throw new InvalidOperationException($"Unexpected idempotency state '{held}'."),
            };
        }
        throw new InvalidOperationException($"Unexpected order script result '{held}'.");
    }

    /// <summary>
    /// Kafka has the order: the key now answers "duplicate" instead of "in progress", and the event is kept in Redis
    /// until PostgreSQL has it (the reconciler produces it again if the Kafka log lost it).
    /// </summary>
    public Task ConfirmAsync(OrderAccepted order) =>
        scripts.Accept.EvaluateAsync(
            _database,
            [RedisKeys.Idempotency(order.ProductId, order.IdempotencyKey), RedisKeys.InFlight(order.ProductId),
                RedisKeys.Unpersisted(order.ProductId), RedisKeys.Ledger(order.ProductId)],
            [order.OrderId.ToString("N"), OrderEventSerializer.Serialize(order), _idempotencyTtlMs]);

    /// <summary>
    /// Kafka refused the order: return the unit, forget the key and release the admission ticket it used.
    /// True when this call undid the reservation.
    /// </summary>
    public async Task<bool> CompensateAsync(string productId, string idempotencyKey, Guid orderId, long? admittedTicket)
    {
        RedisKey[] keys = admittedTicket is { } ticket
            ? [RedisKeys.Stock(productId), RedisKeys.Idempotency(productId, idempotencyKey), RedisKeys.InFlight(productId), RedisKeys.AdmissionUsed(productId, ticket)]
            : [RedisKeys.Stock(productId), RedisKeys.Idempotency(productId, idempotencyKey), RedisKeys.InFlight(productId)];
        var result = await scripts.Compensate.EvaluateAsync(_database, keys, [orderId.ToString("N")]).ConfigureAwait(false);
        return (long)result == 1;
    }
}
