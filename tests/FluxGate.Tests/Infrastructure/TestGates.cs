using FluxGate.Api.Options;
using FluxGate.Api.Orders;
using FluxGate.Api.Redis;
using FluxGate.ServiceDefaults.Authentication;
using StackExchange.Redis;
using MsOptions = Microsoft.Extensions.Options.Options;

namespace FluxGate.Tests.Infrastructure;

/// <summary>An <see cref="OrderGate"/> on a test's Redis: the options the test is about, the service's defaults for the rest.</summary>
internal static class TestGates
{
    /// <param name="rateLimit">Null: a rate far out of the way (1,000,000 per second).</param>
    public static OrderGate Create(
        IConnectionMultiplexer redis,
        GateScripts scripts,
        RateLimitOptions? rateLimit = null,
        TimeSpan? idempotencyTtl = null,
        TimeSpan? inFlightHold = null,
        int maxBatch = 128,
        SoldOutProducts? soldOut = null,
        StockBucketMap? buckets = null) => new(
        redis,
        scripts,
        MsOptions.Create(rateLimit ?? new RateLimitOptions { PermitsPerSecond = 1_000_000 }),
        MsOptions.Create(idempotencyTtl is { } ttl ? new IdempotencyOptions { Ttl = ttl } : new IdempotencyOptions()),
        MsOptions.Create(new AdmissionOptions()),
        MsOptions.Create(inFlightHold is { } hold ? new ReconciliationOptions { InFlightHold = hold } : new ReconciliationOptions()),
        MsOptions.Create(new OrderBatchingOptions { MaxBatch = maxBatch }),
        soldOut,
        buckets);
}
