using System.Diagnostics.Metrics;
using FluxGate.Tests.Infrastructure;
using FluxGate.WaitingRoom.Options;
using FluxGate.WaitingRoom.Queue;
using FluxGate.WaitingRoom.Telemetry;
using Microsoft.Extensions.DependencyInjection;
using MsOptions = Microsoft.Extensions.Options.Options;

namespace FluxGate.Tests.WaitingRoom;

/// <summary>Meter <c>FluxGate.WaitingRoom</c> as the queue feeds it, on a real Redis.</summary>
[Collection(RedisCollection.Name)]
public class WaitingRoomMetricsTests(RedisFixture redis)
{
    [Fact]
    public async Task Joins_are_counted_by_outcome_and_the_line_length_is_observed()
    {
        using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var factory = services.GetRequiredService<IMeterFactory>();
        var metrics = new WaitingRoomMetrics(factory);
        var sales = new TestSaleStates();
        var queue = new WaitingQueue(redis.Connection, sales, MsOptions.Create(new WaitingRoomOptions { AdmissionRatePerSecond = 0.001 }), metrics,
            Microsoft.Extensions.Logging.Abstractions.NullLogger<WaitingQueue>.Instance);
        var productId = $"wr-{Guid.NewGuid():N}";

        var joins = new List<(long Value, string Outcome)>();
        var lengths = new Dictionary<string, long>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (ReferenceEquals(instrument.Meter.Scope, factory))
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            var tagList = tags.ToArray();
            if (instrument.Name == "fluxgate.waitingroom.joins")
            {
                joins.Add((value, (string)tagList.Single(t => t.Key == "outcome").Value!));
            }
            else if (instrument.Name == "fluxgate.waitingroom.queue.length")
            {
                lengths[(string)tagList.Single(t => t.Key == "product").Value!] = value;
            }
        });
        listener.Start();

        await queue.JoinAsync(productId, new ShopperIdentity("u1", "k1"));
        await queue.JoinAsync(productId, new ShopperIdentity("u2", "k2"));
        await queue.JoinAsync(productId, new ShopperIdentity("u1", "k1"));
        sales.Set(productId, SaleState.SoldOut);
        await queue.JoinAsync(productId, null);
        listener.RecordObservableInstruments();

        Assert.Equal([(1L, "new"), (1L, "new"), (1L, "rejoin"), (1L, "sold_out")], joins);
        Assert.Equal(2, lengths[productId]);
    }
}
