using System.Diagnostics.Metrics;

namespace FluxGate.Api.Telemetry;

/// <summary>Meter <c>FluxGate.Api</c>: orders by outcome, order latency, Kafka produce latency.</summary>
public sealed class OrderMetrics
{
    public const string MeterName = "FluxGate.Api";

    private readonly Counter<long> _orders;
    private readonly Histogram<double> _orderDuration;
    private readonly Histogram<double> _produceDuration;
    private readonly Counter<long> _lostReservations;

    public OrderMetrics(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(MeterName);
        _orders = meter.CreateCounter<long>("fluxgate.orders", "{order}", "Orders answered, by outcome");
        _orderDuration = meter.CreateHistogram<double>("fluxgate.order.duration", "ms", "Time to decide and answer one order");
        _produceDuration = meter.CreateHistogram<double>("fluxgate.kafka.produce.duration", "ms", "Time from produce to Kafka's delivery report");
        _lostReservations = meter.CreateCounter<long>("fluxgate.redis.lost_reservations", "{order}",
            "Orders Kafka has whose reservation Redis had lost (a failover), by whether their confirm healed the books");
    }

    public void RecordLostReservation(bool healed) =>
        _lostReservations.Add(1, new KeyValuePair<string, object?>("healed", healed));

    public void RecordOrder(string outcome, TimeSpan elapsed)
    {
        var tag = new KeyValuePair<string, object?>("outcome", outcome);
        _orders.Add(1, tag);
        _orderDuration.Record(elapsed.TotalMilliseconds, tag);
    }

    public void RecordProduce(TimeSpan elapsed, bool succeeded) =>
        _produceDuration.Record(elapsed.TotalMilliseconds, new KeyValuePair<string, object?>("succeeded", succeeded));
}
