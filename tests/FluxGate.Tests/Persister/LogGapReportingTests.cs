using System.Diagnostics.Metrics;
using FluxGate.Persister;
using FluxGate.Persister.Consuming;
using FluxGate.Persister.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using MsOptions = Microsoft.Extensions.Options.Options;

namespace FluxGate.Tests.Persister;

/// <summary>A log gap (events dropped before they were persisted) is counted and turns the consumer check Degraded for a while.</summary>
public sealed class LogGapReportingTests : IDisposable
{
    private readonly ServiceProvider _services = new ServiceCollection().AddMetrics().BuildServiceProvider();
    private readonly ManualClock _clock = new();

    public void Dispose() => _services.Dispose();

    [Fact]
    public void A_gap_is_counted_once_with_its_events_by_partition()
    {
        var meterFactory = _services.GetRequiredService<IMeterFactory>();
        var measured = new List<(string Name, long Value, object? Partition)>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (ReferenceEquals(instrument.Meter.Scope, meterFactory) && instrument.Name.Contains("log_gap"))
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
            measured.Add((instrument.Name, value, tags.ToArray().Single(tag => tag.Key == "partition").Value)));
        listener.Start();

        new PersisterMetrics(meterFactory).LogGap(partition: 3, events: 242);

        Assert.Equal([("fluxgate.persister.log_gaps", 1L, (object?)3), ("fluxgate.persister.log_gap.events", 242L, 3)], measured);
    }

    [Fact]
    public async Task The_consumer_check_is_Degraded_after_a_gap_until_the_window_passes()
    {
        var state = new ConsumerLoopState(_clock);
        state.Enter(ConsumerPhase.Consuming);
        var check = new ConsumerLoopHealthCheck(state, MsOptions.Create(new PersisterOptions { LogGapDegradedSeconds = 60 }), _clock);
        Assert.Equal(HealthStatus.Healthy, (await check.CheckHealthAsync(new HealthCheckContext())).Status);

        state.LogGap("orders[3] offsets 2..243 (242 events) left the log unread");
        _clock.Advance(TimeSpan.FromSeconds(30));
        state.Beat();
        var degraded = await check.CheckHealthAsync(new HealthCheckContext());
        Assert.Equal(HealthStatus.Degraded, degraded.Status);
        Assert.Contains("orders[3] offsets 2..243", degraded.Description);

        _clock.Advance(TimeSpan.FromSeconds(31));
        state.Beat();
        Assert.Equal(HealthStatus.Healthy, (await check.CheckHealthAsync(new HealthCheckContext())).Status);
    }

    private sealed class ManualClock : TimeProvider
    {
        private DateTimeOffset _now = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

        public override DateTimeOffset GetUtcNow() => _now;

        public void Advance(TimeSpan by) => _now += by;
    }
}
