using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using FluxGate.WaitingRoom.Queue;

namespace FluxGate.WaitingRoom.Telemetry;

/// <summary>Meter <c>FluxGate.WaitingRoom</c>: joins, admissions, hand-off outcomes and the length of each line.</summary>
public sealed class WaitingRoomMetrics
{
    public const string MeterName = "FluxGate.WaitingRoom";

    // The gauge reports lines this instance has seen; a flash sale has a handful of products, the cap only guards memory.
    private const int MaxTrackedProducts = 1_000;

    private readonly Counter<long> _joins;
    private readonly Counter<long> _admissions;
    private readonly Counter<long> _orders;
    private readonly ConcurrentDictionary<string, long> _queueLengths = new(StringComparer.Ordinal);

    public WaitingRoomMetrics(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(MeterName);
        _joins = meter.CreateCounter<long>("fluxgate.waitingroom.joins", "{join}",
            "Joins by outcome: new ticket, rejoin with the same ticket, or turned away (sold out / not on sale).");
        _admissions = meter.CreateCounter<long>("fluxgate.waitingroom.admissions", "{token}",
            "Admission tokens issued to served tickets, by use (order placed by the room, or return URL).");
        _orders = meter.CreateCounter<long>("fluxgate.waitingroom.orders", "{order}",
            "Orders the room placed for served shoppers, by the API's answer.");
        meter.CreateObservableGauge("fluxgate.waitingroom.queue.length", ObserveQueueLengths, "{ticket}",
            "Tickets issued and not yet served, per product, as last seen by this instance.");
    }

    public void Joined(TicketStatus status)
    {
        var outcome = status.State switch
        {
            QueueState.SoldOut => "sold_out",
            QueueState.NotOnSale => "not_on_sale",
            _ => status.Rejoined ? "rejoin" : "new",
        };
        _joins.Add(1, new KeyValuePair<string, object?>("outcome", outcome));
    }

    public void Admitted(string use) => _admissions.Add(1, new KeyValuePair<string, object?>("use", use));

    public void OrderPlaced(string outcome) => _orders.Add(1, new KeyValuePair<string, object?>("outcome", outcome));

    public void ObserveQueue(string productId, long issued, double serving)
    {
        if (_queueLengths.Count < MaxTrackedProducts || _queueLengths.ContainsKey(productId))
        {
            _queueLengths[productId] = Math.Max(0, issued - QueueArithmetic.NowServing(serving));
        }
    }

    private IEnumerable<Measurement<long>> ObserveQueueLengths() =>
        _queueLengths.Select(pair => new Measurement<long>(pair.Value, new KeyValuePair<string, object?>("product", pair.Key)));
}
