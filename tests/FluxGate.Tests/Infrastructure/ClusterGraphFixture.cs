using StackExchange.Redis;

namespace FluxGate.Tests.Infrastructure;

/// <summary>Tests that share one graph on a Redis Cluster: <c>[Collection(ClusterGraphCollection.Name)]</c>.</summary>
[CollectionDefinition(Name)]
public sealed class ClusterGraphCollection : ICollectionFixture<ClusterGraphFixture>
{
    public const string Name = "cluster graph";
}

/// <summary>
/// The whole FluxGate graph with <c>redis</c> a local Redis Cluster of three masters (<c>FluxGate:RedisTopology=Cluster</c>),
/// started once for its collection; no practical rate limit, so a burst of orders is decided by the stock alone.
/// </summary>
public sealed class ClusterGraphFixture() : GraphFixture(Options)
{
    public static readonly GraphOptions Options = new()
    {
        Configuration = new Dictionary<string, string>
        {
            ["FluxGate:RedisTopology"] = "Cluster",
            ["FluxGate:Settings:api:RateLimit:PermitsPerSecond"] = "1000000",
        },
    };

    private ConnectionMultiplexer? _redis;

    /// <summary>A cluster-aware connection to the graph's Redis, opened on first use and shared by the collection's tests.</summary>
    public IConnectionMultiplexer Redis => _redis ??= ConnectionMultiplexer.Connect(App.GetConnectionString("redis"));

    public override async Task DisposeAsync()
    {
        if (_redis is not null)
        {
            await _redis.DisposeAsync();
        }
        await base.DisposeAsync();
    }
}
