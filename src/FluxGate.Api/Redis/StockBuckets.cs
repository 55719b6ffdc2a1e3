namespace FluxGate.Api.Redis;

/// <summary>
/// A product's stock split over several buckets, each with its own hash tag, so that on Redis Cluster one hot product is
/// decided by several shards. Bucket 0 is the product itself (<c>{productId}</c>: one bucket is exactly the unsplit
/// product); bucket b is <c>{productId#n}</c>, with n the first suffix whose slot lies in the b-th K-th of the slot
/// space after bucket 0's, so K buckets on a cluster of K evenly split masters land on K different masters. Every key of
/// a bucket (stock, idempotency keys, ledger…) carries the bucket's tag: each order lives in one
/// bucket, chosen by its idempotency key.
/// </summary>
public static class StockBuckets
{
    /// <summary>The most buckets one product may be split over.</summary>
    public const int Max = 16;

    /// <summary>The ledger field (bucket 0's, and each bucket's) that holds how many buckets the product has; absent = 1.</summary>
    public const string CountField = "stockBuckets";

    private const char Separator = '#';

    /// <summary>The hash tags of the product's buckets, bucket 0 first.</summary>
    public static string[] Of(string productId, int count)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, Max);
        var buckets = new string[count];
        buckets[0] = productId;
        var first = RangeOf(productId, count);
        var suffix = 0;
        for (var b = 1; b < count; b++)
        {
            var range = (first + b) % count;
            string bucket;
            do
            {
                bucket = $"{productId}{Separator}{++suffix}";
            }
            while (RangeOf(bucket, count) != range);
            buckets[b] = bucket;
        }
        return buckets;
    }

    /// <summary>Which of <paramref name="count"/> buckets decides the orders of <paramref name="idempotencyKey"/>: always the same one.</summary>
    public static int IndexOf(string idempotencyKey, int count) => count == 1 ? 0 : RedisHashSlot.Of(idempotencyKey) % count;

    /// <summary>
    /// The bucket that decided an order: the one whose hash slot the order id carries (<see cref="OrderIds"/>), among the
    /// product's buckets now (<paramref name="current"/>) or, when the product was initialized again with another count
    /// since, among the buckets of any count. Null when none matches (an id from outside).
    /// </summary>
    public static string? DecidedIn(string productId, Guid orderId, string[] current)
    {
        var slot = OrderIds.SlotOf(orderId);
        return current.FirstOrDefault(bucket => RedisHashSlot.Of(bucket) == slot)
            ?? Enumerable.Range(2, Max - 1).SelectMany(count => Of(productId, count)).FirstOrDefault(bucket => RedisHashSlot.Of(bucket) == slot);
    }

    /// <summary>The product a bucket's tag belongs to.</summary>
    public static string ProductOf(string bucket)
    {
        var separator = bucket.IndexOf(Separator);
        return separator < 0 ? bucket : bucket[..separator];
    }

    private static int RangeOf(string tag, int count) => RedisHashSlot.Of(tag) * count / RedisHashSlot.Count;
}
