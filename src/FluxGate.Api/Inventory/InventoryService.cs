using FluxGate.Api.Kafka;
using FluxGate.Api.Orders;
using FluxGate.Api.Redis;
using FluxGate.Contracts;
using StackExchange.Redis;

namespace FluxGate.Api.Inventory;

public sealed class InventoryService(
    IConnectionMultiplexer redis, GateScripts scripts, OrderEventProducer producer, StockBucketMap bucketMap, TimeProvider time)
{
    private readonly IDatabase _database = redis.GetDatabase();

    /// <summary>
    /// Kafka first, then Redis: no order can be reserved against the new stock before the persister has
    /// seen the new stock, so init and orders of one product reach PostgreSQL in the order they happened.
    /// </summary>
    /// <param name="maxPerCustomer">Units one customer may hold; null: no limit. Every customer's count starts at zero.</param>
    /// <param name="stockBuckets">How many stock buckets the stock is split over (1: the product's own keys).</param>
    /// <param name="startsAt">When the sale opens; null: at once.</param>
    /// <returns>False when Kafka refused; Redis failures throw <see cref="RedisException"/>.</returns>
    public async Task<bool> InitializeAsync(
        string productId, int quantity, int? maxPerCustomer = null, int stockBuckets = 1, DateTimeOffset? startsAt = null)
    {
        var initialized = new StockInitialized(productId, quantity, time.GetUtcNow(), startsAt);
        var delivery = await producer.ProduceAsync(initialized);
        if (delivery != DeliveryOutcome.Persisted)
        {
            return false;
        }
        var buckets = await ResetBucketsAsync(
            _database, scripts, productId, quantity, maxPerCustomer, initialized.InitializedAt, stockBuckets, before: await bucketMap.ReadAsync(productId),
            startsAt);
        bucketMap.Learn(productId, buckets.Length);
        await _database.SetAddAsync(RedisKeys.Products, [.. buckets.Select(bucket => (RedisValue)bucket)]); // what the reconciler walks
        return true;
    }

    /// <summary>
    /// The Redis half of an init: each stock bucket with its share of the quantity (the first ones one more when it does not
    /// divide evenly), the buckets of a previous, larger split emptied.
    /// </summary>
    /// <param name="before">The product's buckets until now.</param>
    /// <returns>The product's buckets from now on.</returns>
    public static async Task<string[]> ResetBucketsAsync(
        IDatabase redis, GateScripts scripts, string productId, int quantity, int? maxPerCustomer, DateTimeOffset initializedAt, int stockBuckets,
        string[] before, DateTimeOffset? startsAt = null)
    {
        var buckets = StockBuckets.Of(productId, stockBuckets);
        // Bucket 0 last: it says how many buckets there are, so an api that reads the new count finds every bucket ready.
        // An order routed to a bucket of the old split is refused there and sent again by the new count.
        for (var b = Math.Max(before.Length, buckets.Length) - 1; b >= 0; b--)
        {
            var bucket = b < buckets.Length ? buckets[b] : before[b];
            var share = b < buckets.Length ? quantity / buckets.Length + (b < quantity % buckets.Length ? 1 : 0) : 0;
            await ResetAsync(redis, scripts, bucket, share, maxPerCustomer, initializedAt, buckets.Length, startsAt);
        }
        return buckets;
    }

    /// <summary>
    /// The Redis half of an init (init.lua) for the product or one of its stock buckets: the stock, fresh rate buckets (the
    /// product's and every tier's, whatever the configuration), the purchase limit with every count at zero, a new ledger,
    /// and the sale's start when it has one.
    /// </summary>
    public static Task ResetAsync(
        IDatabase redis, GateScripts scripts, string bucket, int quantity, int? maxPerCustomer, DateTimeOffset initializedAt, int stockBuckets = 1,
        DateTimeOffset? startsAt = null) =>
        scripts.Init.EvaluateAsync(redis,
            [RedisKeys.Stock(bucket), RedisKeys.RateBucket(bucket), RedisKeys.Ledger(bucket), RedisKeys.Purchases(bucket), RedisKeys.Transfers(bucket),
                ..OrderBatchCall.TierRateBuckets(bucket)],
            [quantity, initializedAt.ToUnixTimeMilliseconds(), maxPerCustomer is { } max ? max : RedisValue.EmptyString, stockBuckets,
                startsAt is { } start ? start.ToUnixTimeMilliseconds() : RedisValue.EmptyString]);

    /// <returns>Units left in all the product's stock buckets and when its sale opens; null for a product never initialized.</returns>
    public async Task<ProductSale?> GetSaleAsync(string productId) => await bucketMap.ReadSaleAsync(productId) is { Stock: not null } sale ? sale : null;
}
