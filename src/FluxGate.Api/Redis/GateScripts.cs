namespace FluxGate.Api.Redis;

/// <summary>The API's Lua scripts, read once from the assembly; each call waits for the replicas <paramref name="acknowledgement"/> asks for.</summary>
public sealed class GateScripts(ReplicaAcknowledgement acknowledgement)
{
    /// <summary>With the defaults of <see cref="ReplicaAcknowledgement"/>.</summary>
    public GateScripts()
        : this(ReplicaAcknowledgement.Default)
    {
    }

    /// <summary>The hot path: confirms and decisions of one product's orders, in one call.</summary>
    public RedisScript OrderBatch { get; } = RedisScript.FromResource(acknowledgement, "order_batch");
    public RedisScript Compensate { get; } = RedisScript.FromResource(acknowledgement, "compensate");
    public RedisScript Init { get; } = RedisScript.FromResource(acknowledgement, "init");
    public RedisScript Cancel { get; } = RedisScript.FromResource(acknowledgement, "cancel");

    /// <summary>The reconciler: an unresolved reservation whose order PostgreSQL has.</summary>
    public RedisScript Resolve { get; } = RedisScript.FromResource(acknowledgement, "resolve");

    /// <summary>The admin restore of a product Redis lost: its stock and ledger.</summary>
    public RedisScript Restore { get; } = RedisScript.FromResource(acknowledgement, "restore");

    /// <summary>The admin restore of a product Redis lost: its idempotency keys.</summary>
    public RedisScript RestoreKeys { get; } = RedisScript.FromResource(acknowledgement, "restore_keys");

    /// <summary>Fall-through between a product's stock buckets: units leave the bucket that has them…</summary>
    public RedisScript StockGive { get; } = RedisScript.FromResource(acknowledgement, "stock_give");

    /// <summary>…and join the bucket whose orders found it empty, exactly once.</summary>
    public RedisScript StockReceive { get; } = RedisScript.FromResource(acknowledgement, "stock_receive");

    public IEnumerable<RedisScript> All => [OrderBatch, Compensate, Init, Cancel, Resolve, Restore, RestoreKeys, StockGive, StockReceive];
}
