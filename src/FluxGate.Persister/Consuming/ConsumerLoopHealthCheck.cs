using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace FluxGate.Persister.Consuming;

/// <summary>Ready only once the schema is in place and the consumer loop is turning.</summary>
public sealed class ConsumerLoopHealthCheck(ConsumerLoopState state, IOptions<PersisterOptions> options, TimeProvider timeProvider) : IHealthCheck
{
    /// <summary>Longer than any pause of a healthy loop (a poll, a batch write, a capped retry wait).</summary>
    public static readonly TimeSpan StallThreshold = TimeSpan.FromSeconds(60);

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var now = timeProvider.GetUtcNow();
        var silentFor = now - state.LastBeat;
        var gap = state.LastLogGap;
        var gapReported = gap.Count > 0 && now - gap.At < TimeSpan.FromSeconds(options.Value.LogGapDegradedSeconds);
        var result = state.Phase switch
        {
            ConsumerPhase.Faulted => HealthCheckResult.Unhealthy($"The consumer loop stopped on an error: {state.LastError}"),
            ConsumerPhase.Stopped => HealthCheckResult.Unhealthy("The consumer loop has stopped."),
            _ when silentFor > StallThreshold => HealthCheckResult.Unhealthy($"The consumer loop has not turned for {silentFor.TotalSeconds:0} s."),
            ConsumerPhase.Starting => HealthCheckResult.Unhealthy("Starting."),
            ConsumerPhase.MigratingSchema => HealthCheckResult.Unhealthy($"Waiting to migrate the schema: {state.LastError ?? "in progress"}"),
            ConsumerPhase.RetryingWrite => HealthCheckResult.Degraded($"Retrying a batch the database refused: {state.LastError}"),
            _ when gapReported => HealthCheckResult.Degraded(
                $"Events left the Kafka log before they were persisted ({gap.Count} gap(s); last {(now - gap.At).TotalSeconds:0} s ago: {gap.Description})."),
            _ => HealthCheckResult.Healthy($"Consuming {state.AssignedPartitions} partition(s)."),
        };
        return Task.FromResult(result);
    }
}
