using System.Collections.Concurrent;
using System.Globalization;
using FluxGate.Tests.Infrastructure;
using FluxGate.Tests.WaitingRoom;
using FluxGate.WaitingRoom.Options;
using FluxGate.WaitingRoom.Queue;
using FluxGate.WaitingRoom.Telemetry;
using Microsoft.Extensions.DependencyInjection;
using StackExchange.Redis;
using MsOptions = Microsoft.Extensions.Options.Options;

namespace FluxGate.Tests.Replicas;

/// <summary>
/// Two waiting-room replicas, each configured with the product's admission rate, admit that rate together, not twice
/// it: "now serving" is one line through time in Redis, which every replica reads; no replica runs a clock of its own.
/// </summary>
[Collection(RedisCollection.Name)]
public sealed class WaitingRoomReplicaRateTests(RedisFixture redis)
{
    private const double Rate = 40;
    private static readonly TimeSpan Window = TimeSpan.FromSeconds(2.5);
    private static readonly WaitingRoomMetrics Metrics =
        new(new ServiceCollection().AddMetrics().BuildServiceProvider().GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>());

    [Fact]
    public async Task Two_rooms_polling_at_once_admit_at_the_configured_rate_not_twice_it()
    {
        var productId = $"wr-replicas-{Guid.NewGuid():N}";
        // Two processes: a connection each, the same configured rate.
        await using var connectionA = await ConnectionMultiplexer.ConnectAsync(redis.ConnectionString);
        await using var connectionB = await ConnectionMultiplexer.ConnectAsync(redis.ConnectionString);
        var rooms = new[] { Room(connectionA), Room(connectionB) };

        // A line far longer than the window can serve, its tickets taken through both rooms in turn.
        var tickets = new List<long>[] { [], [] };
        for (var i = 0; i < 1000; i++)
        {
            tickets[i % 2].Add((await rooms[i % 2].JoinAsync(productId, null)).Ticket);
        }

        // Both rooms poll their own shoppers' tickets as fast as they can; a ticket found served is admitted there.
        var admitted = new ConcurrentDictionary<long, int>();
        var (startMicros, startServing) = await ClockAndServingAsync(rooms[0], productId);
        using var window = new CancellationTokenSource(Window);
        var polls = await Task.WhenAll(Enumerable.Range(0, 2).Select(room => Task.Run(async () =>
        {
            var count = 0;
            var next = 0;
            while (!window.IsCancellationRequested && next < tickets[room].Count)
            {
                var status = await rooms[room].GetStatusAsync(productId, tickets[room][next]);
                count++;
                if (status.State == QueueState.Served)
                {
                    Assert.True(admitted.TryAdd(tickets[room][next], room), $"ticket {tickets[room][next]} admitted twice");
                    next++;
                }
            }
            return count;
        })));
        var (endMicros, endServing) = await ClockAndServingAsync(rooms[1], productId);

        var seconds = (endMicros - startMicros) / 1e6;
        var expected = Rate * seconds;
        Assert.True(polls.All(count => count > 50), $"both rooms polled busily ({string.Join(", ", polls)})");
        // "Now serving" moved at the configured rate over the window, whoever asked.
        Assert.InRange(endServing - startServing, expected - 2, expected + 2);
        // The shoppers both rooms let through are the ones the line reached, no more: the rate, not twice the rate.
        var admittedInWindow = admitted.Keys.Count(ticket => ticket > startServing);
        Assert.InRange(admittedInWindow, 0.75 * expected, expected + 2);
        Assert.True(admittedInWindow < 1.5 * expected, $"{admittedInWindow} admitted in {seconds:0.00} s at {Rate}/s");
        Assert.Contains(0, admitted.Values);
        Assert.Contains(1, admitted.Values);
    }

    private static WaitingQueue Room(IConnectionMultiplexer connection) =>
        new(connection, new TestSaleStates(), MsOptions.Create(new WaitingRoomOptions { AdmissionRatePerSecond = Rate }), Metrics,
            Microsoft.Extensions.Logging.Abstractions.NullLogger<WaitingQueue>.Instance);

    /// <summary>The Redis clock (µs) and where the line stands, bracketing one poll.</summary>
    private async Task<(long Micros, long Serving)> ClockAndServingAsync(WaitingQueue room, string productId)
    {
        var before = await RedisMicrosAsync();
        var status = await room.GetStatusAsync(productId, 1000);
        var after = await RedisMicrosAsync();
        return ((before + after) / 2, status.NowServing);
    }

    private async Task<long> RedisMicrosAsync()
    {
        var time = (RedisResult[])(await redis.Database.ExecuteAsync("TIME"))!;
        return long.Parse((string)time[0]!, CultureInfo.InvariantCulture) * 1_000_000 + long.Parse((string)time[1]!, CultureInfo.InvariantCulture);
    }
}
