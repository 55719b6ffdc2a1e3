using FluxGate.Clients;

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
    public RedisScript OrderBatch { get; } = Load("order_batch", acknowledgement);
    public RedisScript Compensate { get; } = Load("compensate", acknowledgement);
    public RedisScript Init { get; } = Load("init", acknowledgement);
    public RedisScript Cancel { get; } = Load("cancel", acknowledgement);

    /// <summary>The reconciler: an unresolved reservation whose order PostgreSQL has.</summary>
    public RedisScript Resolve { get; } = Load("resolve", acknowledgement);

    /// <summary>The admin restore of a product Redis lost: its stock and ledger.</summary>
    public RedisScript Restore { get; } = Load("restore", acknowledgement);

    /// <summary>The admin restore of a product Redis lost: its idempotency keys.</summary>
    public RedisScript RestoreKeys { get; } = Load("restore_keys", acknowledgement);

    /// <summary>Fall-through between a product's stock buckets: units leave the bucket that has them…</summary>
    public RedisScript StockGive { get; } = Load("stock_give", acknowledgement);

    /// <summary>…and join the bucket whose orders found it empty, exactly once.</summary>
    public RedisScript StockReceive { get; } = Load("stock_receive", acknowledgement);

    private static RedisScript Load(string name, ReplicaAcknowledgement acknowledgement) =>
        RedisScript.FromResource(typeof(GateScripts).Assembly, name, acknowledgement);
}
