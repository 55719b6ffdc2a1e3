namespace FluxGate.Api.Redis;

/// <summary>The API's Lua scripts, read once from the assembly.</summary>
public sealed class GateScripts
{
    /// <summary>The hot path: confirms and decisions of one product's orders, in one call.</summary>
    public RedisScript OrderBatch { get; } = RedisScript.FromResource("order_batch");
    public RedisScript Compensate { get; } = RedisScript.FromResource("compensate");
    public RedisScript Init { get; } = RedisScript.FromResource("init");
    public RedisScript Cancel { get; } = RedisScript.FromResource("cancel");

    /// <summary>The reconciler: an unresolved reservation whose order PostgreSQL has.</summary>
    public RedisScript Resolve { get; } = RedisScript.FromResource("resolve");

    /// <summary>The admin restore of a product Redis lost: its stock and ledger.</summary>
    public RedisScript Restore { get; } = RedisScript.FromResource("restore");

    /// <summary>The admin restore of a product Redis lost: its idempotency keys.</summary>
    public RedisScript RestoreKeys { get; } = RedisScript.FromResource("restore_keys");

    /// <summary>Fall-through between a product's stock buckets: units leave the bucket that has them…</summary>
    public RedisScript StockGive { get; } = RedisScript.FromResource("stock_give");

    /// <summary>…and join the bucket whose orders found it empty, exactly once.</summary>
    public RedisScript StockReceive { get; } = RedisScript.FromResource("stock_receive");

    public IEnumerable<RedisScript> All => [OrderBatch, Compensate, Init, Cancel, Resolve, Restore, RestoreKeys, StockGive, StockReceive];
}
