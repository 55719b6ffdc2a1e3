using FluxGate.Api.Kafka;
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
    /// <returns>False when Kafka refused; Redis failures throw <see cref="RedisException"/>.</returns>
    public async Task<bool> InitializeAsync(string productId, int quantity)
    {
        var initialized = new StockInitialized(productId, quantity, time.GetUtcNow());
        var delivery = await producer.ProduceAsync(initialized);
        if (delivery != DeliveryOutcome.Persisted)
        {
            return false;
        }
        await scripts.Init.EvaluateAsync(_database,
            [RedisKeys.Stock(productId), RedisKeys.RateBucket(productId), RedisKeys.Ledger(productId)],
            [quantity, initialized.InitializedAt.ToUnixTimeMilliseconds()]);
        await _database.SetAddAsync(RedisKeys.Products, productId); // what the reconciler walks
        return true;
    }

    /// <returns>Units left, or null for a product never initialized.</returns>
    public async Task<long?> GetStockAsync(string productId) =>
        (long?)await _database.StringGetAsync(RedisKeys.Stock(productId));
}
