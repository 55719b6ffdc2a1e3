using Microsoft.Extensions.Diagnostics.HealthChecks;
using StackExchange.Redis;

namespace FluxGate.Clients.HealthChecks;

/// <summary>
/// Ready when Redis answers PING within 2 s. Ours rather than Aspire's (AspNetCore.HealthChecks.Redis): that one
/// ignores the check's timeout, so while Redis is down every /health waits out the client's 5 s backlog.
/// </summary>
public sealed class RedisHealthCheck(IConnectionMultiplexer redis) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            var latency = await redis.GetDatabase().PingAsync().WaitAsync(TimeSpan.FromSeconds(2), cancellationToken);
            return HealthCheckResult.Healthy($"PING {latency.TotalMilliseconds:0.0} ms");
        }
        catch (Exception exception) when (exception is RedisException or TimeoutException)
        {
            return new HealthCheckResult(context.Registration.FailureStatus, "Redis does not answer PING", exception);
        }
    }
}
