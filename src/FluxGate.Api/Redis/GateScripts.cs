namespace FluxGate.Api.Redis;

/// <summary>The API's Lua scripts, read once from the assembly.</summary>
public sealed class GateScripts
{
    public RedisScript Order { get; } = RedisScript.FromResource("order");
    public RedisScript Accept { get; } = RedisScript.FromResource("accept");
    public RedisScript Compensate { get; } = RedisScript.FromResource("compensate");
    public RedisScript Init { get; } = RedisScript.FromResource("init");
    public RedisScript Cancel { get; } = RedisScript.FromResource("cancel");

    public IEnumerable<RedisScript> All => [Order, Accept, Compensate, Init, Cancel];
}
