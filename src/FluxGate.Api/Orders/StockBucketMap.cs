using System.Collections.Concurrent;
using FluxGate.Api.Redis;
using StackExchange.Redis;

namespace FluxGate.Api.Orders;

/// <summary>
/// Which stock bucket each order of a product goes to (<see cref="StockBuckets"/>). The order path uses what this api
/// knows and learns the count from the order script's answer, which checks it on every decision; everything else
/// (cancel, inventory, invariants, the reconciler) reads it from Redis: the count lives in the ledger of bucket 0.
/// A product of one bucket, the default, takes no memory here.
/// </summary>
public sealed class StockBucketMap(IConnectionMultiplexer redis)
{
    private readonly ConcurrentDictionary<string, string[]> _split = new(StringComparer.Ordinal);
    private readonly IDatabase _database = redis.GetDatabase();

    /// <summary>The product's buckets as this api knows them; null for one bucket (the product's own keys).</summary>
    public string[]? Known(string productId) => _split.GetValueOrDefault(productId);

    /// <summary>Redis said the product has <paramref name="count"/> buckets.</summary>
    public string[] Learn(string productId, int count)
    {
        if (count <= 1)
        {
            _split.TryRemove(productId, out _);
            return [productId];
        }
        if (_split.TryGetValue(productId, out var known) && known.Length == count)
        {
            return known;
        }
        var buckets = StockBuckets.Of(productId, count);
        _split[productId] = buckets;
        return buckets;
    }

    /// <summary>The product's buckets as Redis has them now (bucket 0 first).</summary>
    public async Task<string[]> ReadAsync(string productId)
    {
        var count = (int?)await _database.HashGetAsync(RedisKeys.Ledger(productId), StockBuckets.CountField);
        return Learn(productId, Math.Clamp(count ?? 1, 1, StockBuckets.Max));
    }

    /// <summary>The bucket of the orders of <paramref name="idempotencyKey"/>.</summary>
    public static string BucketOf(string[] buckets, string idempotencyKey) =>
        buckets[StockBuckets.IndexOf(idempotencyKey, buckets.Length)];

    /// <summary>
    /// The bucket that decided the order <paramref name="orderId"/>, also after the product was initialized again with
    /// another count of buckets (<see cref="StockBuckets.DecidedIn"/>); else the bucket its key maps to now.
    /// </summary>
    public async Task<string> ReadDecidingBucketAsync(string productId, Guid orderId, string? idempotencyKey)
    {
        var buckets = await ReadAsync(productId);
        return StockBuckets.DecidedIn(productId, orderId, buckets)
            ?? (idempotencyKey is null ? productId : BucketOf(buckets, idempotencyKey));
    }

    /// <summary>The bucket of an order of <paramref name="productId"/> as Redis has the product now.</summary>
    public async Task<string> ReadBucketOfAsync(string productId, string idempotencyKey) =>
        BucketOf(await ReadAsync(productId), idempotencyKey);

    /// <summary>Units left in all the product's stock buckets (null: never initialized), and when its sale opens.</summary>
    public async Task<ProductSale> ReadSaleAsync(string productId)
    {
        var product = await _database.HashGetAsync(RedisKeys.Ledger(productId), [StockBuckets.CountField, ProductSale.StartsAtField]);
        var buckets = Learn(productId, Math.Clamp((int?)product[0] ?? 1, 1, StockBuckets.Max));
        var startsAt = (long?)product[1] is { } ms ? DateTimeOffset.FromUnixTimeMilliseconds(ms) : (DateTimeOffset?)null;
        if (buckets.Length == 1)
        {
            return new ProductSale((long?)await _database.StringGetAsync(RedisKeys.Stock(productId)), startsAt);
        }
        var stocks = await Task.WhenAll(buckets.Select(bucket => _database.StringGetAsync(RedisKeys.Stock(bucket))));
        return new ProductSale((long?)stocks[0] is null ? null : stocks.Sum(stock => Math.Max(0, (long?)stock ?? 0)), startsAt);
    }
}
