using System.Diagnostics.Metrics;
using FluxGate.Persister.Writing;

namespace FluxGate.Persister.Diagnostics;

/// <summary>The persister's instruments, on meter <see cref="MeterName"/> (exported by the service defaults' <c>FluxGate.*</c>).</summary>
public sealed class PersisterMetrics
{
    public const string MeterName = "FluxGate.Persister";

    private readonly Counter<long> _eventsConsumed;
    private readonly Counter<long> _rowsPersisted;
    private readonly Counter<long> _deadLetters;
    private readonly Counter<long> _inconsistencies;
    private readonly Counter<long> _writeRetries;
    private readonly Counter<long> _logGaps;
    private readonly Counter<long> _logGapEvents;
    private readonly Histogram<int> _batchSize;
    private readonly Histogram<double> _batchDuration;
    private long _consumerLag = -1;

    public PersisterMetrics(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(MeterName);
        _eventsConsumed = meter.CreateCounter<long>("fluxgate.persister.events.consumed", "{event}",
            "Messages read from the orders topic.");
        _rowsPersisted = meter.CreateCounter<long>("fluxgate.persister.rows.persisted", "{row}",
            "Orders inserted into the orders table (duplicates and replays excluded).");
        _deadLetters = meter.CreateCounter<long>("fluxgate.persister.dead_letters", "{message}",
            "Messages stored in dead_letters instead of being applied.");
        _inconsistencies = meter.CreateCounter<long>("fluxgate.persister.inconsistencies", "{order}",
            "Orders kept although PostgreSQL's stock disagreed (kind = negative_stock or unknown_product).");
        _writeRetries = meter.CreateCounter<long>("fluxgate.persister.write.retries", "{retry}",
            "Batch writes retried after a database failure.");
        _logGaps = meter.CreateCounter<long>("fluxgate.persister.log_gaps", "{gap}",
            "Times this group's position was no longer in the log: events dropped (retention, the broker's size cap) before they were persisted.");
        _logGapEvents = meter.CreateCounter<long>("fluxgate.persister.log_gap.events", "{event}",
            "Events that left the log before this group persisted them (the api's reconciler produces the orders among them again).");
        _batchSize = meter.CreateHistogram("fluxgate.persister.batch.size", "{event}",
            "Messages per database transaction.", tags: null,
            new InstrumentAdvice<int> { HistogramBucketBoundaries = [1, 10, 50, 100, 250, 500, 1000, 2500, 5000, 10000] });
        _batchDuration = meter.CreateHistogram("fluxgate.persister.batch.duration", "s",
            "Time to write and commit one batch, retries included.", tags: null,
            new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5, 30] });
        meter.CreateObservableGauge("fluxgate.persister.consumer.lag",
            () => Volatile.Read(ref _consumerLag) is var lag and >= 0 ? [new Measurement<long>(lag)] : Array.Empty<Measurement<long>>(),
            "{message}", "Messages in the assigned partitions not yet persisted and committed (sampled about once a second).");
    }

    /// <summary>The last sampled lag, or -1 before the first sample.</summary>
    public long ConsumerLag => Volatile.Read(ref _consumerLag);

    public void Consumed(int count) => _eventsConsumed.Add(count);

    public void WriteRetried() => _writeRetries.Add(1);

    public void LogGap(int partition, long events)
    {
        var tag = new KeyValuePair<string, object?>("partition", partition);
        _logGaps.Add(1, tag);
        _logGapEvents.Add(events, tag);
    }

    public void SetConsumerLag(long lag) => Volatile.Write(ref _consumerLag, lag);

    public void Landed(BatchOutcome outcome, TimeSpan duration)
    {
        _batchSize.Record(outcome.Received);
        _batchDuration.Record(duration.TotalSeconds);
        if (outcome.OrdersInserted > 0)
        {
            _rowsPersisted.Add(outcome.OrdersInserted);
        }
        if (outcome.DeadLetters.Count > 0)
        {
            _deadLetters.Add(outcome.DeadLetters.Count);
        }
        foreach (var kind in outcome.Inconsistencies.GroupBy(inconsistency => inconsistency.Kind))
        {
            _inconsistencies.Add(kind.Count(), new KeyValuePair<string, object?>("kind", KindTag(kind.Key)));
        }
    }

    private static string KindTag(InconsistencyKind kind) => kind switch
    {
        InconsistencyKind.NegativeStock => "negative_stock",
        InconsistencyKind.UnknownProduct => "unknown_product",
        _ => kind.ToString(),
    };
}
