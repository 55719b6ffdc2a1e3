using FluxGate.Api.Kafka;
using FluxGate.Api.Orders;
using FluxGate.Api.Redis;
using FluxGate.Contracts;
using StackExchange.Redis;

namespace FluxGate.Api.Inventory;

public sealed class InventoryService(IConnectionMultiplexer redis, GateScripts scripts, OrderEventProducer producer, TimeProvider time)
{
    private readonly IDatabase _database = redis.GetDatabase();

    /// <summary>
    /// Kafka first, then Redis: no order can be reserved against the new stock before the persister has
    /// seen the new stock, so init and orders of one product reach PostgreSQL in the order they happened.
    /// </summary>
    /// <param name="maxPerCustomer">Units one customer may hold; null: no limit. Every customer's count starts at zero.</param>
    /// <returns>False when Kafka refused; Redis failures throw <see cref="RedisException"/>.</returns>
    public async Task<bool> InitializeAsync(string productId, int quantity, int? maxPerCustomer = null)
    {
        var initialized = new StockInitialized(productId, quantity, time.GetUtcNow());
        var delivery = await producer.ProduceAsync(initialized);
        if (delivery != DeliveryOutcome.Persisted)
        {
            return false;
        }
        await ResetAsync(_database, scripts, productId, quantity, maxPerCustomer, initialized.InitializedAt);
        await _database.SetAddAsync(RedisKeys.Products, productId); // what the reconciler walks
        return true;
    }

    /// <summary>
    /// The Redis half of an init (init.lua): the stock, fresh rate buckets (the product's and every tier's, whatever the
    /// configuration), the purchase limit with every count at zero, and a new ledger.
    /// </summary>
    public static Task ResetAsync(IDatabase redis, GateScripts scripts, string productId, int quantity, int? maxPerCustomer, DateTimeOffset initializedAt) =>
        scripts.Init.EvaluateAsync(redis,
            [RedisKeys.Stock(productId), RedisKeys.RateBucket(productId), RedisKeys.Ledger(productId), RedisKeys.Purchases(productId),
                ..OrderGate.TierRateBuckets(productId)],
            [quantity, initializedAt.ToUnixTimeMilliseconds(), maxPerCustomer is { } max ? max : RedisValue.EmptyString]);

    /// <returns>Units left, or null for a product never initialized.</returns>
    public async Task<long?> GetStockAsync(string productId) =>
        (long?)await _database.StringGetAsync(RedisKeys.Stock(productId));
}
