using FluxGate.Api.Options;
using FluxGate.Api.Redis;
using FluxGate.ServiceDefaults.Authentication;
using StackExchange.Redis;

namespace FluxGate.Api.Orders;

/// <summary>
/// The order script's protocol (order_batch.lua beside it), written once: the keys and values of one call of a stock
/// bucket, and what its answer means.
/// </summary>
internal sealed class OrderBatchCall
{
    private const int SharedKeys = 7;
    private const int SharedValues = 11;
    private const int ValuesPerConfirm = 2;
    private const int ValuesPerDecision = 5;
    private const int HeaderResults = 3;

    /// <summary>A decision's answer for an order routed by a count of stock buckets the product no longer has.</summary>
    public const long RoutedByAnotherCount = 6;

    private readonly RedisValue _idempotencyTtlMs;
    private readonly RedisValue _inFlightHoldMs;
    private readonly RedisValue _usedTicketRetentionMs;
    private readonly TierBucket _authenticated;
    private readonly TierBucket _anonymous;
    private readonly bool _perShopper;
    private readonly RedisValue _shopperPermitsPerSecond;
    private readonly RedisValue _shopperBurst;

    public OrderBatchCall(RateLimitOptions rateLimit, IdempotencyOptions idempotency, AdmissionOptions admission, ReconciliationOptions reconciliation)
    {
        _idempotencyTtlMs = (long)idempotency.Ttl.TotalMilliseconds;
        _inFlightHoldMs = (long)reconciliation.InFlightHold.TotalMilliseconds;
        _usedTicketRetentionMs = (long)admission.UsedTicketRetention.TotalMilliseconds;
        _authenticated = TierBucket.Of(rateLimit, ShopperTier.Authenticated);
        _anonymous = TierBucket.Of(rateLimit, ShopperTier.Anonymous);
        _perShopper = rateLimit.PerShopper.PermitsPerSecond > 0;
        _shopperPermitsPerSecond = rateLimit.PerShopper.PermitsPerSecond;
        _shopperBurst = rateLimit.PerShopper.EffectiveBurst;
    }

    /// <summary>
    /// KEYS: stock, the records of the bucket's slot, purchases, ledger, keys-until, the authenticated and the anonymous
    /// tier's rate bucket (both the product's one bucket without tiers); per confirm its idempotency key; per decision its
    /// idempotency key, the shopper's rate bucket (with a per-shopper limit), the admission-used marker (a ticket, one
    /// bucket). ARGV: confirms, decisions, idempotency TTL, in-flight hold, admission-used TTL (ms), then permits/s and
    /// burst of the authenticated, anonymous and per-shopper rate (0: none); per confirm the order id and its event; per
    /// decision the order id, tier (<c>a</c>/<c>n</c>), customer id, ticket or empty, the count of stock buckets the api
    /// routed it by.
    /// </summary>
    public (RedisKey[] Keys, RedisValue[] Values) Encode(ProductLane lane, OrderBatch batch)
    {
        var bucket = lane.Bucket;
        var keyCount = SharedKeys + batch.Confirms.Count + batch.Decisions.Count * (_perShopper ? 2 : 1);
        foreach (var decision in batch.Decisions)
        {
            keyCount += UsedMarkerInScript(decision) ? 1 : 0;
        }
        var keys = new RedisKey[keyCount];
        var values = new RedisValue[SharedValues + ValuesPerConfirm * batch.Confirms.Count + ValuesPerDecision * batch.Decisions.Count];
        keys[0] = RedisKeys.Stock(bucket);
        keys[1] = lane.Records;
        keys[2] = RedisKeys.Purchases(bucket);
        keys[3] = RedisKeys.Ledger(bucket);
        keys[4] = RedisKeys.KeysUntil(bucket);
        keys[5] = _authenticated.Key(bucket);
        keys[6] = _anonymous.Key(bucket);
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
            keys[key++] = RedisKeys.Idempotency(bucket, confirm.Order.IdempotencyKey);
            values[value++] = confirm.Order.OrderId.ToString("N");
            values[value++] = confirm.Record;
        }
        foreach (var decision in batch.Decisions)
        {
            keys[key++] = RedisKeys.Idempotency(bucket, decision.IdempotencyKey);
            if (_perShopper)
            {
                keys[key++] = RedisKeys.ShopperRateBucket(bucket, decision.Shopper.RateKey);
            }
            if (UsedMarkerInScript(decision))
            {
                keys[key++] = RedisKeys.AdmissionUsed(bucket, decision.AdmittedTicket!.Value);
            }
            values[value++] = decision.OrderId.ToString("N");
            values[value++] = decision.Shopper.IsAuthenticated ? "a" : "n";
            values[value++] = decision.Shopper.CustomerId;
            values[value++] = decision.AdmittedTicket is { } used ? used : RedisValue.EmptyString;
            values[value++] = decision.Buckets?.Length ?? 1;
        }
        return (keys, values);
    }

    /// <summary>The script claims the ticket itself only for a product of one bucket; for a split one the api claims it.</summary>
    public static bool UsedMarkerInScript(PendingDecision decision) => decision.AdmittedTicket is not null && decision.Buckets is null;

    /// <summary>Units left in the bucket after the call (-1: never initialized; only read when the call had decisions).</summary>
    public static long StockLeft(RedisResult[] results) => (long)results[0];

    /// <summary>When the bucket's last idempotency key expires (unix ms, 0: none held; only read when the call had decisions).</summary>
    public static long KeysUntilMs(RedisResult[] results) => (long)results[1];

    /// <summary>The product's count of stock buckets as Redis knows it (only read when the call had decisions).</summary>
    public static int StockBuckets(RedisResult[] results) => (int)(long)results[2];

    public static ConfirmOutcome Confirm(RedisResult[] results, int confirm) => (ConfirmOutcome)(long)results[HeaderResults + confirm];

    /// <summary>The raw answer for a decision: a code, or the value of the key that was known already.</summary>
    public static RedisResult Decision(RedisResult[] results, OrderBatch batch, int decision) => results[HeaderResults + batch.Confirms.Count + decision];

    public static bool IsRoutedByAnotherCount(RedisResult result) => result.Resp2Type == ResultType.Integer && (long)result == RoutedByAnotherCount;

    /// <exception cref="InvalidOperationException">An answer this protocol does not have.</exception>
    public static OrderDecision Interpret(RedisResult result, Guid reservedOrderId, string bucket)
    {
        if (result.Resp2Type == ResultType.Integer)
        {
            return (long)result switch
            {
                0 => new OrderDecision(OrderDecisionKind.Reserved, reservedOrderId, bucket),
                1 => new OrderDecision(OrderDecisionKind.SoldOut),
                2 => new OrderDecision(OrderDecisionKind.RateLimited),
                3 => new OrderDecision(OrderDecisionKind.NotInitialized),
                4 => new OrderDecision(OrderDecisionKind.AdmissionAlreadyUsed),
                5 => new OrderDecision(OrderDecisionKind.LimitReached),
                7 => new OrderDecision(OrderDecisionKind.NotOpenYet),
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
