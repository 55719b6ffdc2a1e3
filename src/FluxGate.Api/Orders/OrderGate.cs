using FluxGate.Api.Options;
using FluxGate.Api.Redis;
using FluxGate.Contracts;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace FluxGate.Api.Orders;

/// <summary>
/// The Redis side of an order: one script round trip decides it (duplicate → sold out → purchase limit → rate → reserve);
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
    private readonly TierBucket _authenticated = TierBucket.Of(rateLimit.Value, ShopperTier.Authenticated);
    private readonly TierBucket _anonymous = TierBucket.Of(rateLimit.Value, ShopperTier.Anonymous);
    private readonly RedisValue _shopperPermitsPerSecond = rateLimit.Value.PerShopper.PermitsPerSecond;
    private readonly RedisValue _shopperBurst = rateLimit.Value.PerShopper.EffectiveBurst;
    private readonly RedisValue _usedTicketRetentionMs = (long)admission.Value.UsedTicketRetention.TotalMilliseconds;
    private readonly RedisValue _inFlightHoldMs = (long)reconciliation.Value.InFlightHold.TotalMilliseconds;

    /// <param name="admittedTicket">The ticket of a verified admission token, which replaces the rate buckets once.</param>
    /// <param name="shopper">Whose order: its tier picks the rate bucket, its rate key the per-shopper bucket, its
    /// customer id what the purchase limit counts.</param>
    public async Task<OrderDecision> DecideAsync(string productId, string idempotencyKey, long? admittedTicket, Shopper shopper)
    {
        var orderId = Guid.CreateVersion7();
        var tier = shopper.IsAuthenticated ? _authenticated : _anonymous;
        RedisKey tierBucket = tier.Key(productId);
        RedisKey[] keys = admittedTicket is { } ticket
            ? [RedisKeys.Stock(productId), tierBucket, RedisKeys.Idempotency(productId, idempotencyKey), RedisKeys.InFlight(productId),
                RedisKeys.Purchases(productId), RedisKeys.ShopperRateBucket(productId, shopper.RateKey), RedisKeys.AdmissionUsed(productId, ticket)]
            : [RedisKeys.Stock(productId), tierBucket, RedisKeys.Idempotency(productId, idempotencyKey), RedisKeys.InFlight(productId),
                RedisKeys.Purchases(productId), RedisKeys.ShopperRateBucket(productId, shopper.RateKey)];
        RedisValue[] values =
        [
            orderId.ToString("N"), _idempotencyTtlMs, tier.PermitsPerSecond, tier.Burst, _usedTicketRetentionMs, _inFlightHoldMs,
            admittedTicket is { } used ? used : RedisValue.EmptyString,
            shopper.CustomerId, _shopperPermitsPerSecond, _shopperBurst,
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
                5 => new OrderDecision(OrderDecisionKind.LimitReached),
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
    public Task ConfirmAsync(OrderAccepted order, byte[]? json = null) =>
        scripts.Accept.EvaluateAsync(
            _database,
            [RedisKeys.Idempotency(order.ProductId, order.IdempotencyKey), RedisKeys.InFlight(order.ProductId),
                RedisKeys.Unpersisted(order.ProductId), RedisKeys.Ledger(order.ProductId)],
            [order.OrderId.ToString("N"), json ?? OrderEventSerializer.Serialize(order), _idempotencyTtlMs]);

    /// <summary>
    /// Kafka refused the order: return the unit, forget the key, release the admission ticket it used and give the
    /// customer's allowance back. True when this call undid the reservation.
    /// </summary>
    public async Task<bool> CompensateAsync(string productId, string idempotencyKey, Guid orderId, long? admittedTicket)
    {
        var result = await scripts.Compensate.EvaluateAsync(
            _database, CompensationKeys(productId, RedisKeys.Idempotency(productId, idempotencyKey), admittedTicket), [orderId.ToString("N")]).ConfigureAwait(false);
        return (long)result == 1;
    }

    /// <summary>The keys of compensate.lua, for this gate and for the reconciler's give-back of an unresolved reservation.</summary>
    public static RedisKey[] CompensationKeys(string productId, string idempotencyRedisKey, long? admittedTicket) => admittedTicket is { } ticket
        ? [RedisKeys.Stock(productId), idempotencyRedisKey, RedisKeys.InFlight(productId), RedisKeys.Purchases(productId), RedisKeys.AdmissionUsed(productId, ticket)]
        : [RedisKeys.Stock(productId), idempotencyRedisKey, RedisKeys.InFlight(productId), RedisKeys.Purchases(productId)];

    /// <summary>Every tier's bucket of the product, configured or not (what an init resets).</summary>
    public static IEnumerable<RedisKey> TierRateBuckets(string productId) =>
        Enum.GetValues<ShopperTier>().Select(tier => (RedisKey)RedisKeys.TierRateBucket(productId, TierName(tier)));

    private static string TierName(ShopperTier tier) => tier.ToString().ToLowerInvariant();

    /// <summary>The bucket one tier's orders draw from: the product's own when it has no tiers.</summary>
    private sealed record TierBucket(string? Name, RedisValue PermitsPerSecond, RedisValue Burst)
    {
        public static TierBucket Of(RateLimitOptions options, ShopperTier tier)
        {
            var (rate, burst) = options.For(tier);
            return new TierBucket(options.HasTiers ? TierName(tier) : null, rate, burst);
        }

        public string Key(string productId) => Name is null ? RedisKeys.RateBucket(productId) : RedisKeys.TierRateBucket(productId, Name);
    }
}
