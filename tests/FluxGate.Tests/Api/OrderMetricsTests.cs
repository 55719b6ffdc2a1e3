using System.Diagnostics.Metrics;
using FluxGate.Api.Telemetry;
using Microsoft.Extensions.DependencyInjection;

namespace FluxGate.Tests.Api;

public class OrderMetricsTests
{
    [Fact]
    public void Orders_are_counted_by_outcome_and_their_latency_recorded()
    {
        using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var metrics = new OrderMetrics(services.GetRequiredService<IMeterFactory>());
        var counted = new List<(string Instrument, double Value, string? Outcome)>();
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == OrderMetrics.MeterName)
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) => counted.Add((instrument.Name, value, Outcome(tags))));
        listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) => counted.Add((instrument.Name, value, Outcome(tags))));
        listener.Start();

        metrics.RecordOrder("accepted", TimeSpan.FromMilliseconds(2.5));
        metrics.RecordOrder("sold_out", TimeSpan.FromMilliseconds(0.5));

        Assert.Contains(("fluxgate.orders", 1d, "accepted"), counted);
        Assert.Contains(("fluxgate.orders", 1d, "sold_out"), counted);
        Assert.Contains(("fluxgate.order.duration", 2.5d, "accepted"), counted);
    }

    private static string? Outcome(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        foreach (var tag in tags)
        {
            if (tag.Key == "outcome")
            {
                return tag.Value as string;
            }
        }
        return null;
    }
}
