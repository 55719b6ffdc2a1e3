using FluxGate.Api.Options;
using FluxGate.Api.Redis;
using FluxGate.Storage;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace FluxGate.Api.Reconciliation;

public enum RestoreStatus
{
    Restored,
    /// <summary>Redis has the product: nothing to restore (a restore never overwrites a live product).</summary>
    AlreadyPresent,
    /// <summary>The persister has not applied everything Kafka holds: PostgreSQL's stock would be too high.</summary>
    NotCaughtUp,
    KafkaUnavailable,
    UnknownInPostgres,
}

/// <param name="Behind">For <see cref="RestoreStatus.NotCaughtUp"/>: events Kafka holds that PostgreSQL has not applied.</param>
public sealed record RestoreResult(RestoreStatus Status, long Stock = 0, int Keys = 0, long Behind = 0);

/// <summary>
/// Brings back a product that Redis lost (restarted without its data), from PostgreSQL: its stock and the idempotency
/// keys of its orders still inside their window (each as accepted, with its original order id and the rest of its TTL),
/// so a replayed key gets its original order and never a second one. Only once the persister has applied everything
/// Kafka holds, since PostgreSQL's stock is only right then. The keys go in first: until the stock exists every new
/// order is refused as sold out, so nothing is sold from a half-restored product.
/// </summary>
public sealed partial class ProductRestore(
    IConnectionMultiplexer redis,
    GateScripts scripts,
    PersisterProgress progress,
    OrderStore store,
    IOptions<ReconciliationOptions> options,
    IOptions<IdempotencyOptions> idempotency,
    TimeProvider time,
    ILogger<ProductRestore> logger)
{
    private const int KeysPerScript = 500;
    private static readonly TimeSpan CatchUpPoll = TimeSpan.FromMilliseconds(200);
    private readonly IDatabase _redis = redis.GetDatabase();

    /// <exception cref="RedisException">Redis failed.</exception>
    /// <exception cref="Npgsql.NpgsqlException">PostgreSQL failed.</exception>
    public async Task<RestoreResult> RestoreAsync(string productId, CancellationToken cancellationToken)
    {
        if (await _redis.KeyExistsAsync(RedisKeys.Stock(productId)))
        {
            return new RestoreResult(RestoreStatus.AlreadyPresent);
        }

        KafkaEnds ends;
        try
        {
            ends = await progress.ReadEndsAsync(cancellationToken);
        }
        catch (Confluent.Kafka.KafkaException)
        {
            return new RestoreResult(RestoreStatus.KafkaUnavailable);
        }
        var deadline = time.GetUtcNow() + options.Value.RestoreDrainTimeout;
        long behind;
        while ((behind = PersisterProgress.Behind(await progress.ReadAppliedAsync(cancellationToken), ends)) > 0)
        {
            if (time.GetUtcNow() >= deadline)
            {
                return new RestoreResult(RestoreStatus.NotCaughtUp, Behind: behind);
            }
            await Task.Delay(CatchUpPoll, time, cancellationToken);
        }

        if (await store.ProductAsync(productId, cancellationToken) is not { } product)
        {
            return new RestoreResult(RestoreStatus.UnknownInPostgres);
        }

        var keys = await store.RecentKeysAsync(productId, idempotency.Value.Ttl, cancellationToken);
        var restoredKeys = 0;
        foreach (var chunk in keys.Chunk(KeysPerScript))
        {
            var result = await scripts.RestoreKeys.EvaluateAsync(_redis,
                [RedisKeys.KeysUntil(productId), ..chunk.Select(key => (RedisKey)RedisKeys.Idempotency(productId, key.IdempotencyKey))],
                chunk.SelectMany(key => new RedisValue[] { key.OrderId.ToString("N"), key.RemainingMs }).ToArray());
            restoredKeys += (int)(long)result;
        }

        var (all, cancelled) = await store.CountOrdersAsync(productId, product.InitializedAt, cancellationToken);
        var stock = Math.Max(0, product.Stock);
        var restored = await scripts.Restore.EvaluateAsync(_redis,
            [RedisKeys.Stock(productId), RedisKeys.Ledger(productId)],
            [stock, product.InitialStock, product.InitializedAt?.ToUnixTimeMilliseconds() ?? 0, all, cancelled,
                product.StartsAt is { } start ? start.ToUnixTimeMilliseconds() : RedisValue.EmptyString]);
        if ((long)restored == 0)
        {
            return new RestoreResult(RestoreStatus.AlreadyPresent);
        }
        await _redis.SetAddAsync(RedisKeys.Products, productId);
        await RetireOtherStockBucketsAsync(productId);
        LogRestored(productId, stock, restoredKeys, all - cancelled);
        return new RestoreResult(RestoreStatus.Restored, stock, restoredKeys);
    }

    /// <summary>
    /// PostgreSQL knows the product's stock, not how it was split: it comes back as one bucket, with all of it. Stock
    /// buckets of it that Redis kept are emptied and told so, so an api routing by the old split is refused there and
    /// learns the product's one bucket (their reservations in flight are still confirmed or reconciled where they are).
    /// </summary>
    private async Task RetireOtherStockBucketsAsync(string productId)
    {
        foreach (var member in await _redis.SetMembersAsync(RedisKeys.Products))
        {
            var bucket = (string)member!;
            if (bucket != productId && StockBuckets.ProductOf(bucket) == productId)
            {
                await _redis.HashSetAsync(RedisKeys.Ledger(bucket), StockBuckets.CountField, 1);
                await _redis.StringSetAsync(RedisKeys.Stock(bucket), 0);
            }
        }
    }

    [LoggerMessage(LogLevel.Warning, "Restored product {ProductId} from PostgreSQL: stock {Stock}, {Keys} idempotency keys, {Orders} orders since its last init")]
    private partial void LogRestored(string productId, long stock, int keys, long orders);
}
