using System.Diagnostics.Metrics;
using FluxGate.Api.Telemetry;

namespace FluxGate.Api.Reconciliation;

/// <summary>The reconciler's instruments, on the api's meter.</summary>
public sealed class ReconciliationMetrics
{
    private readonly Counter<long> _settled;
    private readonly Counter<long> _reproduced;
    private readonly Counter<long> _resolved;

    public ReconciliationMetrics(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(OrderMetrics.MeterName);
        _settled = meter.CreateCounter<long>("fluxgate.reconciliation.settled", "{event}",
            "Records of acknowledged events dropped because PostgreSQL has them.");
        _reproduced = meter.CreateCounter<long>("fluxgate.reconciliation.reproduced", "{event}",
            "Events produced to Kafka again because PostgreSQL lacked them after the persister had caught up (lost from the log).");
        _resolved = meter.CreateCounter<long>("fluxgate.reconciliation.reservations.resolved", "{order}",
            "Reservations nobody confirmed or undid (the api stopped between Kafka and the answer), by outcome: accepted or returned.");
    }

    public void Settled(int count) => _settled.Add(count);

    public void Reproduced(int count) => _reproduced.Add(count);

    public void Resolved(int count, bool accepted) =>
        _resolved.Add(count, new KeyValuePair<string, object?>("outcome", accepted ? "accepted" : "returned"));
}
