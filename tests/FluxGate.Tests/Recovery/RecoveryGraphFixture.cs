using FluxGate.Tests.Infrastructure;

namespace FluxGate.Tests.Recovery;

/// <summary>The recovery tests that need load: a graph of their own with no practical rate limit and a short idempotency TTL.</summary>
[CollectionDefinition(Name)]
public sealed class RecoveryCollection : ICollectionFixture<RecoveryGraphFixture>
{
    public const string Name = "recovery";
}

public sealed class RecoveryGraphFixture : IAsyncLifetime
{
    /// <summary>Short, so that a test can retry a key after its TTL without waiting long.</summary>
    public static readonly TimeSpan IdempotencyTtl = TimeSpan.FromSeconds(10);

    public FluxGateGraph App { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        App = await FluxGateGraph.StartAsync(new GraphOptions
        {
            Configuration = new Dictionary<string, string>
            {
                ["FluxGate:Settings:api:RateLimit:PermitsPerSecond"] = "1000000",
                ["FluxGate:Settings:api:Idempotency:Ttl"] = IdempotencyTtl.ToString("c"),
                ["FluxGate:Settings:api:Reconciliation:Interval"] = "00:00:00.500",
                // A killed persister's partitions move on sooner (the development broker does not hold to Kafka's 6 s minimum).
                ["FluxGate:Settings:persister:Persister:SessionTimeoutMs"] = "2000",
            },
        });
    }

    public async Task DisposeAsync()
    {
        if (App is not null)
        {
            await App.DisposeAsync();
        }
    }
}
