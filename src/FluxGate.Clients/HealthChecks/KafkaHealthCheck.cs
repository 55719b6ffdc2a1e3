using Confluent.Kafka;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace FluxGate.Clients.HealthChecks;

/// <summary>Ready when a broker answers a metadata request. One admin client for the process's lifetime.</summary>
internal sealed class KafkaHealthCheck(KafkaConnection kafka) : IHealthCheck, IDisposable
{
    private readonly Lazy<IAdminClient> _admin = new(() => new AdminClientBuilder(kafka.AdminClientConfig())
        .SetLogHandler((_, _) => { }) // connection errors are reported through the check, not as log noise
        .Build());

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            // GetMetadata blocks: keep it off the request thread.
            var metadata = await Task.Run(() => _admin.Value.GetMetadata(TimeSpan.FromSeconds(2)), cancellationToken);
            return metadata.Brokers.Count > 0
                ? HealthCheckResult.Healthy($"{metadata.Brokers.Count} broker(s), {metadata.Topics.Count} topic(s)")
                : new HealthCheckResult(context.Registration.FailureStatus, "Kafka metadata lists no broker");
        }
        catch (KafkaException exception)
        {
            return new HealthCheckResult(context.Registration.FailureStatus, "Kafka does not answer a metadata request", exception);
        }
    }

    public void Dispose()
    {
        if (_admin.IsValueCreated)
        {
            _admin.Value.Dispose();
        }
    }
}
