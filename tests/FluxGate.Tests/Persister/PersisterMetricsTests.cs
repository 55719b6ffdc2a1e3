using System.Diagnostics.Metrics;
using Confluent.Kafka;
using FluxGate.Persister.Diagnostics;
using FluxGate.Persister.Writing;
using Microsoft.Extensions.DependencyInjection;

namespace FluxGate.Tests.Persister;

public sealed class PersisterMetricsTests : IDisposable
{
    private readonly ServiceProvider _services = new ServiceCollection().AddMetrics().BuildServiceProvider();
    private readonly IMeterFactory _meterFactory;
    private readonly MeterListener _listener = new();
    private readonly List<(string Instrument, double Value, string? Kind)> _measurements = [];

    public PersisterMetricsTests()
    {
        _meterFactory = _services.GetRequiredService<IMeterFactory>();
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            // Only this test's meter: persisters of other tests may run in this process at the same time.
            if (instrument.Meter.Name == PersisterMetrics.MeterName && ReferenceEquals(instrument.Meter.Scope, _meterFactory))
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) => Record(instrument, value, tags));
        _listener.SetMeasurementEventCallback<int>((instrument, value, tags, _) => Record(instrument, value, tags));
        _listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) => Record(instrument, value, tags));
        _listener.Start();
    }

    [Fact]
    public void A_landed_batch_counts_rows_dead_letters_inconsistencies_by_kind_and_its_size()
    {
        var metrics = new PersisterMetrics(_meterFactory);
        var orderId = Guid.NewGuid();

        metrics.Consumed(7);
        metrics.Landed(new BatchOutcome
        {
            Received = 7,
            OrdersInserted = 4,
            DeadLetters = [new DeadLetter(new TopicPartitionOffset("orders", 0, 3), "bad")],
            Inconsistencies =
            [
                new Inconsistency(InconsistencyKind.NegativeStock, "p", orderId, -1),
                new Inconsistency(InconsistencyKind.NegativeStock, "p", orderId, -2),
                new Inconsistency(InconsistencyKind.UnknownProduct, "q", orderId, null),
            ],
        }, TimeSpan.FromMilliseconds(12));

        Assert.Contains(("fluxgate.persister.events.consumed", 7d, null), _measurements);
        Assert.Contains(("fluxgate.persister.rows.persisted", 4d, null), _measurements);
        Assert.Contains(("fluxgate.persister.dead_letters", 1d, null), _measurements);
        Assert.Contains(("fluxgate.persister.inconsistencies", 2d, "negative_stock"), _measurements);
        Assert.Contains(("fluxgate.persister.inconsistencies", 1d, "unknown_product"), _measurements);
        Assert.Contains(("fluxgate.persister.batch.size", 7d, null), _measurements);
        Assert.Contains(("fluxgate.persister.batch.duration", 0.012, null), _measurements);
    }

    [Fact]
    public void The_lag_gauge_reports_the_last_sample_and_nothing_before_the_first()
    {
        var metrics = new PersisterMetrics(_meterFactory);

        _listener.RecordObservableInstruments();
        Assert.DoesNotContain(_measurements, measurement => measurement.Instrument == "fluxgate.persister.consumer.lag");

        metrics.SetConsumerLag(42);
        _listener.RecordObservableInstruments();
        Assert.Contains(("fluxgate.persister.consumer.lag", 42d, null), _measurements);
    }

    public void Dispose()
    {
        _listener.Dispose();
        _services.Dispose();
    }

    private void Record(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        string? kind = null;
        foreach (var tag in tags)
        {
            if (tag.Key == "kind")
            {
                kind = tag.Value as string;
            }
        }
        lock (_measurements)
        {
            _measurements.Add((instrument.Name, value, kind));
        }
    }
}
