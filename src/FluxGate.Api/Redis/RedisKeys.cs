namespace FluxGate.Api.Redis;

/// <summary>
/// The Redis key schema shared by the API and the waiting room. Every key of one product carries the
/// hash tag <c>{productId}</c>, so one product's keys live in one slot and a script over them is valid
/// on Redis Cluster. Product ids are validated to <c>[A-Za-z0-9._:-]</c>, so they never contain braces.
/// </summary>
public static class RedisKeys
{
    /// <summary>String: units left to sell. Absent = never initialized.</summary>
    public static string Stock(string productId) => $"fg:{{{productId}}}:stock";

    /// <summary>String: token bucket state, <c>&lt;tokens&gt;:&lt;µs of the Redis clock&gt;</c>; expires once full.</summary>
    public static string RateBucket(string productId) => $"fg:{{{productId}}}:rate";

    /// <summary>
    /// String: one rate tier's token bucket (as <see cref="RateBucket"/>) when the product's rate is split into tiers
    /// (<paramref name="tier"/>: <c>authenticated</c>, <c>anonymous</c>).
    /// </summary>
    public static string TierRateBucket(string productId, string tier) => $"fg:{{{productId}}}:rate:{tier}";

    /// <summary>String: one shopper's token bucket for the product (per-shopper limit, as <see cref="RateBucket"/>), keyed by the shopper's rate key.</summary>
    public static string ShopperRateBucket(string productId, string rateKey) => $"fg:{{{productId}}}:rate:shopper:{rateKey}";

    /// <summary>
    /// Hash: what each customer holds against the product's purchase limit (the ledger's <c>maxPerCustomer</c>):
    /// <c>c:&lt;customerId&gt;</c> → units reserved or accepted and not given back. Reset by <c>POST /init</c>.
    /// </summary>
    public static string Purchases(string productId) => $"fg:{{{productId}}}:purchases";

    /// <summary>
    /// String: <c>p:&lt;orderId&gt;</c>, written once when the order is reserved (<c>a:&lt;orderId&gt;</c> when the admin restore
    /// sets it from PostgreSQL); whether that order is still in flight the api's records say. Expires an idempotency TTL
    /// after Kafka's acknowledgement.
    /// </summary>
    public static string Idempotency(string productId, string idempotencyKey) => $"fg:{{{productId}}}:idem:{idempotencyKey}";

    /// <summary>String: set once when an admission token's ticket is used (one-time use).</summary>
    public static string AdmissionUsed(string productId, long ticket) => $"fg:{{{productId}}}:admitted:{ticket}";

    /// <summary>String: set once when an order is cancelled and its unit returned (exactly-once cancel).</summary>
    public static string Cancelled(string productId, Guid orderId) => $"fg:{{{productId}}}:cancelled:{orderId:N}";

    /// <summary>
    /// Hash <c>initial</c>, <c>initializedAt</c> (unix ms), <c>accepted</c>, <c>cancelled</c>, <c>given</c>, <c>received</c>: the
    /// product's counts since its last init; <c>stockBuckets</c> and <c>maxPerCustomer</c> (absent: no purchase limit).
    /// </summary>
    public static string Ledger(string productId) => $"fg:{{{productId}}}:ledger";

    /// <summary>
    /// String: unix ms when the product's last idempotency key expires (and itself expires then). Past it, no key of the
    /// product is held, so a sold-out product's answer to any order is sold out: an api may give it without Redis.
    /// </summary>
    public static string KeysUntil(string productId) => $"fg:{{{productId}}}:keys-until";

    /// <summary>
    /// Pub/sub channel: the scripts that put units back (init, restore, cancel, compensate) publish the product's stock key
    /// here, so an api that answers the product sold out by itself stops at once.
    /// </summary>
    public const string StockReturnedChannel = "fg:stock-returned";

    /// <summary>
    /// Hash: units this stock bucket gave to another bucket of its product and the receiver has not yet been seen to take:
    /// transfer id → <c>&lt;units&gt;:&lt;given at, unix ms&gt;:&lt;the product's initializedAt&gt;:&lt;receiving bucket&gt;</c>.
    /// What the reconciler completes when the api that moved them stopped in between.
    /// </summary>
    public static string Transfers(string bucket) => $"fg:{{{bucket}}}:transfers";

    /// <summary>String: set once when a bucket takes the units of one transfer (exactly-once, whoever completes it).</summary>
    public static string TransferReceived(string bucket, string transferId) => $"fg:{{{bucket}}}:received:{transferId}";

    /// <summary>The hash tag of a key of <see cref="Stock"/>'s form (<c>fg:{tag}:…</c>): a product, or one of its stock buckets; or null.</summary>
    public static string? BucketOf(string key)
    {
        var open = key.IndexOf('{');
        var close = open < 0 ? -1 : key.IndexOf('}', open + 1);
        return close > open + 1 ? key[(open + 1)..close] : null;
    }

    /// <summary>The product id in a key of <see cref="Stock"/>'s form, of the product or of one of its stock buckets; or null.</summary>
    public static string? ProductOf(string key) => BucketOf(key) is { } bucket ? StockBuckets.ProductOf(bucket) : null;

    /// <summary>Set of every product id initialized or restored, and of the tags of its other stock buckets: what the reconciler walks.</summary>
    public const string Products = "fg:products";

    /// <summary>String: which api instance runs the reconciler now (a short lease).</summary>
    public const string ReconcilerLease = "fg:reconciler:lease";
}
