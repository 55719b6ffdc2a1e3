using System.Collections.Concurrent;
using FluxGate.Api.Options;
using FluxGate.Api.Redis;
using FluxGate.Contracts;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace FluxGate.Api.Orders;

/// <summary>
/// The Redis side of an order: one atomic script decides it (duplicate → sold out → purchase limit → rate → reserve);
/// after Kafka answers, the reservation is confirmed or undone. The orders of one product that arrive while its previous
/// call is in flight share the next call (<see cref="ProductLane"/>): one round trip for many orders under load, one per
/// order when idle, the same decisions as one call each. A product Redis said is sold out is answered here
/// (<see cref="SoldOutProducts"/>).
/// </summary>
public sealed class OrderGate(
    IConnectionMultiplexer redis,
    GateScripts scripts,
    IOptions<RateLimitOptions> rateLimit,
    IOptions<IdempotencyOptions> idempotency,
    IOptions<AdmissionOptions> admission,
    IOptions<ReconciliationOptions> reconciliation,
    IOptions<OrderBatchingOptions>? batching = null,
    SoldOutProducts? soldOut = null)
{
    private const int SharedKeys = 8;
    private const int SharedValues = 11;
    private static readonly Task<OrderDecision> SoldOutHere = Task.FromResult(new OrderDecision(OrderDecisionKind.SoldOut));

    private readonly IDatabase _database = redis.GetDatabase();
    private readonly ConcurrentDictionary<string, ProductLane> _lanes = new(StringComparer.Ordinal);
    private readonly int _maxBatch = (batching?.Value ?? new OrderBatchingOptions()).MaxBatch;
    private readonly RedisValue _idempotencyTtlMs = (long)idempotency.Value.Ttl.TotalMilliseconds;
    private readonly TierBucket _authenticated = TierBucket.Of(rateLimit.Value, ShopperTier.Authenticated);
    private readonly TierBucket _anonymous = TierBucket.Of(rateLimit.Value, ShopperTier.Anonymous);
    private readonly bool _perShopper = rateLimit.Value.PerShopper.PermitsPerSecond > 0;
    private readonly RedisValue _shopperPermitsPerSecond = rateLimit.Value.PerShopper.PermitsPerSecond;
    private readonly RedisValue _shopperBurst = rateLimit.Value.PerShopper.EffectiveBurst;
    private readonly RedisValue _usedTicketRetentionMs = (long)admission.Value.UsedTicketRetention.TotalMilliseconds;
    private readonly RedisValue _inFlightHoldMs = (long)reconciliation.Value.InFlightHold.TotalMilliseconds;

    /// <param name="admittedTicket">The ticket of a verified admission token, which replaces the rate buckets once.</param>
    /// <param name="shopper">Whose order: its tier picks the rate bucket, its rate key the per-shopper bucket, its
    /// customer id what the purchase limit counts.</param>
    public Task<OrderDecision> DecideAsync(string productId, string idempotencyKey, long? admittedTicket, Shopper shopper)
    {
        if (soldOut is not null && soldOut.Answers(productId))
        {
            return SoldOutHere;
        }
        var decision = new PendingDecision(idempotencyKey, admittedTicket, shopper);
        var lane = LaneOf(productId);
        SendIfIdle(lane, lane.Add(decision));
        return decision.Task;
    }

    /// <summary>
    /// Kafka has the order: the key now answers "duplicate" instead of "in progress", and the event is kept in Redis
    /// until PostgreSQL has it (the reconciler produces it again if the Kafka log lost it).
    /// </summary>
    /// <returns>True, or false when the reservation was already resolved (by the reconciler, or undone).</returns>
    public Task<bool> ConfirmAsync(OrderAccepted order, byte[]? json = null)
    {
        var confirm = new PendingConfirm(order, json ?? OrderEventSerializer.Serialize(order));
        var lane = LaneOf(order.ProductId);
        SendIfIdle(lane, lane.Add(confirm));
        return confirm.Task;
    }

    private ProductLane LaneOf(string productId) =>
        _lanes.GetOrAdd(productId, static (id, max) => new ProductLane(id, max), _maxBatch);

    /// <param name="batch">What the lane handed back: a batch to send now, or null when its call in flight takes the order along.</param>
    private void SendIfIdle(ProductLane lane, OrderBatch? batch)
    {
        if (batch is not null)
        {
            _ = SendAsync(lane, batch);
        }
    }

    /// <summary>Sends the lane's batches until nothing waits; every order of a batch gets its answer or the call's exception.</summary>
    private async Task SendAsync(ProductLane lane, OrderBatch batch)
    {
        for (OrderBatch? next = batch; next is not null; next = lane.Sent())
        {
            var returnsBefore = soldOut?.Returns ?? 0;
            try
            {
                var (keys, values) = Arguments(lane.ProductId, next);
                var results = (RedisResult[])(await scripts.OrderBatch.EvaluateAsync(_database, keys, values).ConfigureAwait(false))!;
                Deliver(lane.ProductId, next, results, returnsBefore);
            }
            catch (Exception exception)
            {
                // Whatever fails, no order may wait forever, nor the lane stay busy: the orders not answered yet get the
                // exception (the spec's 500), and the next batch goes.
                next.Confirms.ForEach(confirm => confirm.TrySetException(exception));
                next.Decisions.ForEach(decision => decision.TrySetException(exception));
            }
        }
        // Idle: a product no one orders holds no memory. An order racing this removal starts a lane of its own.
        _lanes.TryRemove(new KeyValuePair<string, ProductLane>(lane.ProductId, lane));
    }

    private (RedisKey[] Keys, RedisValue[] Values) Arguments(string productId, OrderBatch batch)
    {
        var keyCount = SharedKeys + batch.Confirms.Count + batch.Decisions.Count * (_perShopper ? 2 : 1);
        foreach (var decision in batch.Decisions)
        {
            keyCount += decision.AdmittedTicket is null ? 0 : 1;
        }
        var keys = new RedisKey[keyCount];
        var values = new RedisValue[SharedValues + 2 * batch.Confirms.Count + 4 * batch.Decisions.Count];
        keys[0] = RedisKeys.Stock(productId);
        keys[1] = RedisKeys.InFlight(productId);
        keys[2] = RedisKeys.Purchases(productId);
        keys[3] = RedisKeys.Unpersisted(productId);
        keys[4] = RedisKeys.Ledger(productId);
        keys[5] = RedisKeys.KeysUntil(productId);
        keys[6] = _authenticated.Key(productId);
        keys[7] = _anonymous.Key(productId);
        values[0] = batch.Confirms.Count;
        values[1] = batch.Decisions.Count;
        values[2] = _idempotencyTtlMs;
        values[3] = _inFlightHoldMs;
        values[4] = _usedTicketRetentionMs;
        values[5] = _authenticated.PermitsPerSecond;
        values[6] = _authenticated.Burst;
        values[7] = _anonymous.PermitsPerSecond;
        values[8] = _anonymous.Burst;
        values[9] = _perShopper ? _shopperPermitsPerSecond : 0;
        values[10] = _shopperBurst;

        int key = SharedKeys, value = SharedValues;
        foreach (var confirm in batch.Confirms)
        {
            keys[key++] = RedisKeys.Idempotency(productId, confirm.Order.IdempotencyKey);
            values[value++] = confirm.Order.OrderId.ToString("N");
            values[value++] = confirm.Json;
        }
        foreach (var decision in batch.Decisions)
        {
            keys[key++] = RedisKeys.Idempotency(productId, decision.IdempotencyKey);
            if (_perShopper)
            {
                keys[key++] = RedisKeys.ShopperRateBucket(productId, decision.Shopper.RateKey);
            }
            if (decision.AdmittedTicket is { } ticket)
            {
                keys[key++] = RedisKeys.AdmissionUsed(productId, ticket);
            }
            values[value++] = decision.OrderId.ToString("N");
            values[value++] = decision.Shopper.IsAuthenticated ? "a" : "n";
            values[value++] = decision.Shopper.CustomerId;
            values[value++] = decision.AdmittedTicket is { } used ? used : RedisValue.EmptyString;
        }
        return (keys, values);
    }

    private void Deliver(string productId, OrderBatch batch, RedisResult[] results, long returnsBefore)
    {
        var stockLeft = (long)results[0];
        if (stockLeft == 0 && soldOut is not null)
        {
            soldOut.Learn(productId, keysUntilMs: (long)results[1], returnsBefore);
        }
        for (var i = 0; i < batch.Confirms.Count; i++)
        {
            batch.Confirms[i].TrySetResult((long)results[2 + i] == 1);
        }
        for (var i = 0; i < batch.Decisions.Count; i++)
        {
            var decision = batch.Decisions[i];
            try
            {
                decision.TrySetResult(Interpret(results[2 + batch.Confirms.Count + i], decision.OrderId));
            }
            catch (InvalidOperationException exception)
            {
                decision.TrySetException(exception); // one unreadable answer fails its order only
            }
        }
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
