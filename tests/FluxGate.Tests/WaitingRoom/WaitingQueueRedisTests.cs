using System.Globalization;
using FluxGate.Tests.Infrastructure;
using FluxGate.WaitingRoom.Options;
using FluxGate.WaitingRoom.Queue;
using FluxGate.WaitingRoom.Telemetry;
using Microsoft.Extensions.DependencyInjection;
using StackExchange.Redis;
using MsOptions = Microsoft.Extensions.Options.Options;

namespace FluxGate.Tests.WaitingRoom;

/// <summary>The queue's scripts against a real redis-server.</summary>
[Collection(RedisCollection.Name)]
public class WaitingQueueRedisTests(RedisFixture redis)
{
    private static readonly WaitingRoomMetrics Metrics =
        new(new ServiceCollection().AddMetrics().BuildServiceProvider().GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>());

    private readonly TestSaleStates _sales = new();

    private WaitingQueue Queue(double ratePerSecond, IConnectionMultiplexer? connection = null) => new(
        connection ?? redis.Connection,
        _sales,
        MsOptions.Create(new WaitingRoomOptions { AdmissionRatePerSecond = ratePerSecond }),
        Metrics,
        Microsoft.Extensions.Logging.Abstractions.NullLogger<WaitingQueue>.Instance);

    private Task<string> ProductAsync(SaleState sale = SaleState.Open)
    {
        var productId = $"wr-{Guid.NewGuid():N}";
        _sales.Set(productId, sale);
        return Task.FromResult(productId);
    }

    private async Task<long> RedisMicrosAsync()
    {
        var time = (RedisResult[])(await redis.Database.ExecuteAsync("TIME"))!;
        return long.Parse((string)time[0]!, CultureInfo.InvariantCulture) * 1_000_000 + long.Parse((string)time[1]!, CultureInfo.InvariantCulture);
    }

    private async Task<(double N, long Ts, double Rate)> ServingBaseAsync(string productId)
    {
        var values = await redis.Database.HashGetAsync(QueueKeys.Serving(productId), ["n", "ts", "rate"]);
        return ((double)values[0], (long)values[1], (double)values[2]);
    }

    [Fact]
    public async Task Parallel_joins_take_consecutive_tickets_one_each()
    {
        var productId = await ProductAsync();
        var queue = Queue(ratePerSecond: 0.001);

        var statuses = await Task.WhenAll(Enumerable.Range(0, 200).Select(_ => Task.Run(() => queue.JoinAsync(productId, null))));

        Assert.Equal(Enumerable.Range(1, 200).Select(i => (long)i), statuses.Select(s => s.Ticket).Order());
        Assert.All(statuses, s => Assert.Equal(QueueState.Waiting, s.State));
        Assert.Equal(200, (long)await redis.Database.StringGetAsync(QueueKeys.Issued(productId)));
    }

    [Fact]
    public async Task A_scheduled_sale_holds_its_pre_queue_until_the_start_then_shuffles_it_once_ahead_of_later_joiners()
    {
        var productId = $"wr-{Guid.NewGuid():N}";
        var startsAt = DateTimeOffset.UtcNow.AddSeconds(1.5);
        _sales.Set(productId, SaleState.Open, startsAt);
        var rooms = new[] { Queue(ratePerSecond: 0.001), Queue(ratePerSecond: 0.001) }; // two room processes

        var early = new List<TicketStatus>();
        for (var i = 0; i < 40; i++)
        {
            early.Add(await rooms[i % 2].JoinAsync(productId, new ShopperIdentity($"u{i}", "k")));
        }
        var again = await rooms[1].JoinAsync(productId, new ShopperIdentity("u0", "k"));

        Assert.All(early, status => Assert.Equal(QueueState.Upcoming, status.State));
        Assert.Equal(Enumerable.Range(1, 40).Select(i => (long)i), early.Select(status => status.Ticket));
        Assert.Equal((early[0].Ticket, true, 40L), (again.Ticket, again.Rejoined, again.PreQueue));
        Assert.Equal(startsAt, again.StartsAt);

        await Task.Delay(startsAt - DateTimeOffset.UtcNow + TimeSpan.FromMilliseconds(100));
        var late = await rooms[0].JoinAsync(productId, new ShopperIdentity("late", "k"));
        var places = await Task.WhenAll(early.Select((status, i) => rooms[i % 2].GetStatusAsync(productId, status.Ticket)));
        var seen = await Task.WhenAll(early.Select((status, i) => rooms[(i + 1) % 2].GetStatusAsync(productId, status.Ticket)));

        Assert.Equal(Enumerable.Range(1, 40).Select(i => (long)i), places.Select(status => status.Place).Order());
        Assert.NotEqual(Enumerable.Range(1, 40).Select(i => (long)i), places.Select(status => status.Place)); // 1 in 40! to fail
        Assert.Equal(places.Select(status => status.Place), seen.Select(status => status.Place)); // one shuffle, whoever asks
        Assert.Equal((41L, 41L), (late.Ticket, late.Place));
        Assert.All(places, status => Assert.Equal(QueueState.Waiting, status.State));
        var line = await redis.Database.HashGetAsync(QueueKeys.Serving(productId), ["from", "to"]);
        Assert.Equal((0L, 40L), ((long)line[0], (long)line[1]));
    }

    [Fact]
    public async Task A_shopper_who_comes_back_keeps_their_ticket_and_nobody_jumps_ahead()
    {
        var productId = await ProductAsync();
        var queue = Queue(ratePerSecond: 0.001);

        var first = await queue.JoinAsync(productId, new ShopperIdentity("alice", "key-1"));
        var second = await queue.JoinAsync(productId, new ShopperIdentity("bob", "key-2"));
        var again = await queue.JoinAsync(productId, new ShopperIdentity("alice", "key-1"));
        var otherIntent = await queue.JoinAsync(productId, new ShopperIdentity("alice", "key-3"));

        Assert.Equal(first.Ticket, again.Ticket);
        Assert.True(again.Rejoined);
        Assert.False(first.Rejoined);
        Assert.Equal(first.Position, again.Position);
        Assert.Equal(first.Ticket + 1, second.Ticket);
        Assert.Equal(second.Ticket + 1, otherIntent.Ticket);
        var ttl = await redis.Database.KeyTimeToLiveAsync(QueueKeys.Owner(productId, "alice", "key-1"));
        Assert.InRange(ttl!.Value, TimeSpan.FromMinutes(119), TimeSpan.FromHours(2));
    }

    [Fact]
    public async Task Now_serving_follows_the_redis_clock_at_the_configured_rate()
    {
        const double rate = 20;
        var productId = await ProductAsync();
        var queue = Queue(rate);
        TicketStatus last = default!;
        for (var i = 0; i < 1000; i++)
        {
            last = await queue.JoinAsync(productId, null);
        }

        // Wait (on the Redis clock) until the line has visibly moved, then check one poll against the clock exactly.
        await Eventually.UntilAsync(() => queue.GetStatusAsync(productId, last.Ticket), s => s.NowServing >= 10, "the line moved");
        var (n, ts, storedRate) = await ServingBaseAsync(productId);
        var before = await RedisMicrosAsync();
        var status = await queue.GetStatusAsync(productId, last.Ticket);
        var after = await RedisMicrosAsync();

        Assert.Equal(rate, storedRate);
        Assert.InRange(status.NowServing,
            (long)Math.Floor(n + (before - ts) * rate / 1e6),
            (long)Math.Floor(n + (after - ts) * rate / 1e6));
        Assert.Equal(last.Ticket - status.NowServing, status.Position);
        Assert.Equal(TimeSpan.FromSeconds((last.Ticket - status.NowServing) / rate).TotalSeconds, status.EstimatedWait.TotalSeconds, tolerance: 0.1);
    }

    [Fact]
    public async Task Tickets_are_served_in_ticket_order()
    {
        var productId = await ProductAsync();
        var queue = Queue(ratePerSecond: 25);
        var tickets = new List<long>();
        for (var i = 0; i < 40; i++)
        {
            tickets.Add((await queue.JoinAsync(productId, null)).Ticket);
        }

        // Poll from the back of the line to the front: a ticket found served means every earlier one is served too,
        // and the front of the served part never moves back.
        // (Eventually retries a probe that throws, so violations are collected and asserted afterwards.)
        long highestServed = 0;
        var violations = new List<string>();
        await Eventually.UntilAsync(async () =>
        {
            long highestThisRound = 0;
            for (var i = tickets.Count - 1; i >= 0; i--)
            {
                var served = (await queue.GetStatusAsync(productId, tickets[i])).State == QueueState.Served;
                if (highestThisRound > 0 && !served)
                {
                    violations.Add($"ticket {tickets[i]} waits while ticket {highestThisRound} is served");
                }
                if (served && highestThisRound == 0)
                {
                    highestThisRound = tickets[i];
                }
            }
            if (highestThisRound < highestServed)
            {
                violations.Add($"served went back from {highestServed} to {highestThisRound}");
            }
            highestServed = highestThisRound;
            return highestServed;
        }, served => served == tickets[^1], "every ticket is served");
        Assert.Empty(violations);
    }

    [Fact]
    public async Task Polls_of_a_waiting_line_only_read()
    {
        var productId = await ProductAsync();
        var queue = Queue(ratePerSecond: 1);
        for (var i = 0; i < 100; i++)
        {
            await queue.JoinAsync(productId, null);
        }
        var baseline = await ServingBaseAsync(productId);

        for (var i = 0; i < 20; i++)
        {
            await queue.GetStatusAsync(productId, 100);
        }

        Assert.Equal(baseline, await ServingBaseAsync(productId));
    }

    [Fact]
    public async Task An_idle_room_does_not_bank_admissions_for_later_arrivals()
    {
        var productId = await ProductAsync();
        var queue = Queue(ratePerSecond: 1000);
        var first = await queue.JoinAsync(productId, null);
        await Eventually.UntilAsync(() => queue.GetStatusAsync(productId, first.Ticket), s => s.State == QueueState.Served, "the first ticket is served");
        var idleSince = await RedisMicrosAsync();
        await Eventually.UntilAsync(RedisMicrosAsync, now => now - idleSince > 200_000, "200 ms pass on the Redis clock");

        // 200 ms at 1000/s would be 200 admissions if an empty room banked them; it banks none.
        var late = await queue.JoinAsync(productId, null);

        Assert.Equal(QueueState.Waiting, late.State);
        Assert.Equal(first.Ticket, late.NowServing);
        Assert.Equal(1, late.Position);
    }

    [Fact]
    public async Task Sold_out_reaches_everyone_in_line_at_once_and_turns_new_arrivals_away()
    {
        var productId = await ProductAsync();
        var queue = Queue(ratePerSecond: 0.001);
        var waiting = await queue.JoinAsync(productId, new ShopperIdentity("carol", "k"));
        Assert.Equal(QueueState.Waiting, waiting.State);

        _sales.Set(productId, SaleState.SoldOut);

        Assert.Equal(QueueState.SoldOut, (await queue.GetStatusAsync(productId, waiting.Ticket)).State);
        Assert.Equal(QueueState.SoldOut, (await queue.JoinAsync(productId, null)).State);
        Assert.Equal(QueueState.SoldOut, (await queue.JoinAsync(productId, new ShopperIdentity("carol", "k"))).State);
        Assert.Equal(1, (long)await redis.Database.StringGetAsync(QueueKeys.Issued(productId)));
    }

    [Fact]
    public async Task A_product_that_was_never_initialized_has_no_line()
    {
        var productId = await ProductAsync(SaleState.NotOnSale);
        var status = await Queue(50).JoinAsync(productId, null);

        Assert.Equal(QueueState.NotOnSale, status.State);
        Assert.Equal(0, status.Ticket);
        Assert.False(await redis.Database.KeyExistsAsync(QueueKeys.Issued(productId)));
    }

    [Fact]
    public async Task Two_room_instances_see_one_line()
    {
        var productId = await ProductAsync();
        await using var other = await ConnectionMultiplexer.ConnectAsync(redis.ConnectionString);
        var roomA = Queue(ratePerSecond: 30);
        var roomB = Queue(ratePerSecond: 30, other);
        var tickets = new List<long>();
        for (var i = 0; i < 60; i++)
        {
            tickets.Add((await (i % 2 == 0 ? roomA : roomB).JoinAsync(productId, null)).Ticket);
        }
        Assert.Equal(Enumerable.Range(1, 60).Select(i => (long)i), tickets);

        long previous = 0;
        var violations = new List<string>();
        await Eventually.UntilAsync(async () =>
        {
            var a = await roomA.GetStatusAsync(productId, 60);
            var b = await roomB.GetStatusAsync(productId, 60);
            if (a.NowServing < previous || b.NowServing < a.NowServing)
            {
                violations.Add($"now serving went back: {previous} then A {a.NowServing} then B {b.NowServing}");
            }
            previous = b.NowServing;
            return previous;
        }, serving => serving >= 60, "both instances serve the whole line");
        Assert.Empty(violations);
    }

    [Fact]
    public async Task The_scripts_survive_a_script_cache_flush()
    {
        var productId = await ProductAsync();
        var queue = Queue(50);
        var joined = await queue.JoinAsync(productId, null);

        await redis.Server.ScriptFlushAsync();

        Assert.Equal(joined.Ticket, (await queue.GetStatusAsync(productId, joined.Ticket)).Ticket);
        Assert.Equal(joined.Ticket + 1, (await queue.JoinAsync(productId, null)).Ticket);
    }

    [Fact]
    public async Task A_ticket_from_before_a_reset_of_the_line_is_unknown()
    {
        var productId = await ProductAsync();
        var queue = Queue(0.001);
        var joined = await queue.JoinAsync(productId, new ShopperIdentity("dave", "k"));

        await redis.Database.KeyDeleteAsync([QueueKeys.Issued(productId), QueueKeys.Serving(productId)]);

        Assert.Equal(QueueState.UnknownTicket, (await queue.GetStatusAsync(productId, joined.Ticket)).State);
        var rejoined = await queue.JoinAsync(productId, new ShopperIdentity("dave", "k"));
        Assert.Equal(1, rejoined.Ticket);
        Assert.False(rejoined.Rejoined);
    }

    [Fact]
    public async Task A_new_rate_takes_over_from_where_the_line_stands()
    {
        var productId = await ProductAsync();
        var slow = Queue(ratePerSecond: 5);
        for (var i = 0; i < 500; i++)
        {
            await slow.JoinAsync(productId, null);
        }
        await Eventually.UntilAsync(() => slow.GetStatusAsync(productId, 500), s => s.NowServing >= 2, "the line moved");
        var (n, ts, _) = await ServingBaseAsync(productId);
        var before = await RedisMicrosAsync();

        var fast = await Queue(ratePerSecond: 50).GetStatusAsync(productId, 500);
        var after = await RedisMicrosAsync();

        var (rebasedN, rebasedTs, rebasedRate) = await ServingBaseAsync(productId);
        Assert.Equal(50, rebasedRate);
        Assert.InRange(rebasedTs, before, after);
        Assert.InRange(rebasedN, n + (before - ts) * 5 / 1e6, n + (after - ts) * 5 / 1e6);
        Assert.Equal((long)Math.Floor(rebasedN), fast.NowServing);
    }
}
