using Confluent.Kafka;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace FluxGate.Clients.HealthChecks;

/// <summary>
/// Ready when a broker answers a metadata request. One admin client serves the checks; after a failed check it is
/// replaced, because a client that lost its broker was seen to keep timing out after the broker came back.
/// </summary>
internal sealed class KafkaHealthCheck(KafkaConnection kafka) : IHealthCheck, IDisposable
{
    private readonly Lock _gate = new();
    private IAdminClient? _admin;

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var admin = CurrentAdmin();
        try
        {
            // GetMetadata blocks: keep it off the request thread.
            var metadata = await Task.Run(() => admin.GetMetadata(TimeSpan.FromSeconds(2)), cancellationToken);
            return metadata.Brokers.Count > 0
                ? HealthCheckResult.Healthy($"{metadata.Brokers.Count} broker(s), {metadata.Topics.Count} topic(s)")
                : new HealthCheckResult(context.Registration.FailureStatus, "Kafka metadata lists no broker");
        }
        catch (Exception exception) when (exception is KafkaException or ObjectDisposedException)
        {
            Replace(admin);
            return new HealthCheckResult(context.Registration.FailureStatus, "Kafka does not answer a metadata request", exception);
        }
    }

    private IAdminClient CurrentAdmin()
    {
        lock (_gate)
        {
            return _admin ??= new AdminClientBuilder(kafka.AdminClientConfig())
                .SetLogHandler((_, _) => { }) // connection errors are reported through the check, not as log noise
                .Build();
        }
    }

    private void Replace(IAdminClient failed)
    {
        lock (_gate)
        {
            if (!ReferenceEquals(_admin, failed))
            {
                return; // a concurrent check replaced it already
            }
            _admin = null;
        }
        failed.Dispose();
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _admin?.Dispose();
            _admin = null;
        }
    }
}
