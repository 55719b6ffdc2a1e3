using System.Globalization;
using System.Net;
using FluxGate.Api.Options;
using FluxGate.Api.Orders;
using FluxGate.Api.Redis;
using FluxGate.Contracts;
using FluxGate.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;
using StackExchange.Redis;
using MsOptions = Microsoft.Extensions.Options.Options;

namespace FluxGate.Tests.Api;

/// <summary>
/// Batched decisions (one script call for the orders of a product that arrive together) and the local sold-out answer,
/// against a real redis-server.
/// </summary>
[Collection(RedisCollection.Name)]
public class OrderBatchRedisTests(RedisFixture redis)
{
    private static readonly Shopper Anyone = Shopper.Anonymous("user", IPAddress.Loopback);
    private readonly GateScripts _scripts = new();

    private OrderGate Gate(
        SoldOutProducts? soldOut = null, int maxBatch = 128, double permitsPerSecond = 1_000_000, double burst = 0,
        TimeSpan? idempotencyTtl = null, TimeSpan? inFlightHold = null) =>
        TestGates.Create(redis.Connection, _scripts, new RateLimitOptions { PermitsPerSecond = permitsPerSecond, Burst = burst },
            idempotencyTtl, inFlightHold, maxBatch, soldOut);

    private static SoldOutProducts SoldOut(TimeSpan? recheck = null) =>
        new(MsOptions.Create(new OrderBatchingOptions { SoldOutRecheck = recheck ?? TimeSpan.FromSeconds(30) }), TimeProvider.System);

    private async Task<string> InitAsync(long stock)
    {
        var productId = $"p-{Guid.NewGuid():N}";
        await redis.Database.StringSetAsync(RedisKeys.Stock(productId), stock);
        return productId;
    }

    /// <summary>Script calls Redis has run so far (EVALSHA and EVAL).</summary>
    private long ScriptCalls() => Calls("evalsha") + Calls("eval");

    /// <summary>Calls of one command Redis has run so far.</summary>
    private long Calls(string command)
    {
        var stats = redis.Server.Info("commandstats").SelectMany(group => group).ToDictionary(pair => pair.Key, pair => pair.Value);
        return stats.TryGetValue($"cmdstat_{command}", out var value) ? long.Parse(value.Split(',')[0]["calls=".Length..]) : 0;
    }

    [Fact]
    public async Task Orders_that_arrive_together_share_script_calls_and_still_sell_exactly_the_stock()
    {
        var productId = await InitAsync(300);
        var gate = Gate();
        var before = ScriptCalls();

        var decisions = await Task.WhenAll(Enumerable.Range(0, 2000)
            .Select(i => Task.Run(() => gate.DecideAsync(productId, $"key-{i}", admittedTicket: null, Anyone))));

        var calls = ScriptCalls() - before;
        Assert.Equal(300, decisions.Count(d => d.Kind == OrderDecisionKind.Reserved));
        Assert.Equal(1700, decisions.Count(d => d.Kind == OrderDecisionKind.SoldOut));
        Assert.Equal(300, decisions.Where(d => d.Kind == OrderDecisionKind.Reserved).Select(d => d.OrderId).Distinct().Count());
        Assert.Equal(0, (long)await redis.Database.StringGetAsync(RedisKeys.Stock(productId)));
        Assert.Equal(300, await TestRecords.ReservationsAsync(redis.Database, productId));
        Assert.True(calls < 2000 / 4, $"2,000 orders arriving together took {calls} script calls");
    }

    [Fact]
    public async Task An_idle_gate_makes_one_call_per_order()
    {
        var productId = await InitAsync(10);
        var gate = Gate();
        var before = ScriptCalls();

        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(OrderDecisionKind.Reserved, (await gate.DecideAsync(productId, $"key-{i}", null, Anyone)).Kind);
        }

        Assert.Equal(5, ScriptCalls() - before);
    }

    [Fact]
    public async Task Concurrent_confirms_share_calls_and_each_key_answers_duplicate_afterwards()
    {
        var productId = await InitAsync(200);
        var gate = Gate();
        var reserved = await Task.WhenAll(Enumerable.Range(0, 200)
            .Select(i => gate.DecideAsync(productId, $"key-{i}", null, Anyone)));
        var before = ScriptCalls();

        var confirmed = await Task.WhenAll(reserved.Select((decision, i) =>
            Task.Run(() => gate.ConfirmAsync(new OrderAccepted(decision.OrderId, productId, "user", $"key-{i}", DateTimeOffset.UtcNow)))));

        Assert.All(confirmed, outcome => Assert.Equal(ConfirmOutcome.Confirmed, outcome));
        Assert.True(ScriptCalls() - before < 200 / 4, $"200 confirms took {ScriptCalls() - before} script calls");
        Assert.Equal(0, await TestRecords.ReservationsAsync(redis.Database, productId));
        Assert.Equal(200, await TestRecords.EventsAsync(redis.Database, productId));
        Assert.Equal(200, (long)await redis.Database.HashGetAsync(RedisKeys.Ledger(productId), "accepted"));
        for (var i = 0; i < 200; i += 37)
        {
            Assert.Equal(new OrderDecision(OrderDecisionKind.Duplicate, reserved[i].OrderId), await gate.DecideAsync(productId, $"key-{i}", null, Anyone));
        }
        // A second confirm of the same order changes nothing.
        Assert.Equal(ConfirmOutcome.AlreadyConfirmed, await gate.ConfirmAsync(new OrderAccepted(reserved[0].OrderId, productId, "user", "key-0", DateTimeOffset.UtcNow)));
        Assert.Equal(200, (long)await redis.Database.HashGetAsync(RedisKeys.Ledger(productId), "accepted"));
    }

    [Fact]
    public async Task A_confirm_whose_reservation_redis_lost_heals_it_in_the_same_call_or_counts_what_cannot_be_healed()
    {
        var productId = await InitAsync(2);
        var gate = Gate();
        var lost = await gate.DecideAsync(productId, "lost", null, Anyone);
        // What a replica that missed the decision holds after a failover: the unit back, no key, no in-flight record.
        await redis.Database.KeyDeleteAsync(RedisKeys.Idempotency(productId, "lost"));
        await TestRecords.DeleteAsync(redis.Database, lost.OrderId);
        await redis.Database.StringIncrementAsync(RedisKeys.Stock(productId));

        Assert.Equal(ConfirmOutcome.LostAndHealed, await gate.ConfirmAsync(new OrderAccepted(lost.OrderId, productId, "user", "lost", DateTimeOffset.UtcNow)));
        Assert.Equal(1, (long)await redis.Database.StringGetAsync(RedisKeys.Stock(productId)));
        Assert.Equal(new OrderDecision(OrderDecisionKind.Duplicate, lost.OrderId), await gate.DecideAsync(productId, "lost", null, Anyone));
        Assert.Equal(1, (long)await redis.Database.HashGetAsync(RedisKeys.Ledger(productId), "accepted"));
        Assert.Equal(1, await TestRecords.EventsAsync(redis.Database, productId));

        // Lost again, but a retry of its key took the last unit meanwhile: counted, the event still kept for PostgreSQL.
        var second = await gate.DecideAsync(productId, "second", null, Anyone);
        await redis.Database.KeyDeleteAsync(RedisKeys.Idempotency(productId, "second"));
        await TestRecords.DeleteAsync(redis.Database, second.OrderId);
        await redis.Database.StringIncrementAsync(RedisKeys.Stock(productId));
        var retry = await gate.DecideAsync(productId, "second", null, Anyone);
        Assert.Equal(OrderDecisionKind.Reserved, retry.Kind);

        Assert.Equal(ConfirmOutcome.LostNotHealable, await gate.ConfirmAsync(new OrderAccepted(second.OrderId, productId, "user", "second", DateTimeOffset.UtcNow)));
        var ledger = (await redis.Database.HashGetAllAsync(RedisKeys.Ledger(productId))).ToDictionary(entry => (string)entry.Name!, entry => (long)entry.Value);
        Assert.Equal(1, ledger["oversold"]);
        Assert.Equal(1, ledger["keysReused"]);
        Assert.Equal(0, (long)await redis.Database.StringGetAsync(RedisKeys.Stock(productId)));
        Assert.Equal(2, await TestRecords.EventsAsync(redis.Database, productId));
    }

    [Fact]
    public async Task One_call_decides_its_orders_in_arrival_order_as_one_call_each_would()
    {
        // Stock 2, a rate bucket with 2 tokens: the first two distinct keys reserve, a repeated key is in progress, the
        // customer at the limit is refused before the rate, the third new key finds the stock gone.
        var productId = await InitAsync(2);
        await redis.Database.HashSetAsync(RedisKeys.Ledger(productId), "maxPerCustomer", 1);
        await redis.Database.HashSetAsync(RedisKeys.Purchases(productId), "c:limited", 1);
        string[] keys = ["k1", "k1", "k2", "k3", "k4"];
        string[] customers = ["c1", "c1", "limited", "c2", "c3"];
        var orderIds = keys.Select(_ => Guid.NewGuid().ToString("N")).ToArray();
        RedisKey[] shared =
        [
            RedisKeys.Stock(productId), OrderRecords.Key(RedisHashSlot.Of(productId)), RedisKeys.Purchases(productId),
            RedisKeys.Ledger(productId), RedisKeys.KeysUntil(productId), RedisKeys.RateBucket(productId), RedisKeys.RateBucket(productId),
        ];
        RedisValue[] settings = [0, keys.Length, 60_000, 3_600_000, 600_000, 1000, 2, 1000, 2, 0, 1];

        var result = (RedisResult[])(await _scripts.OrderBatch.EvaluateAsync(redis.Database,
            [.. shared, .. keys.Select(key => (RedisKey)RedisKeys.Idempotency(productId, key))],
            [.. settings, .. keys.SelectMany((_, i) => new RedisValue[] { orderIds[i], "n", customers[i], "", 1 })]))!;

        Assert.Equal(0, (long)result[0]); // stock left
        Assert.True((long)result[1] > DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()); // keys-until
        Assert.Equal(1, (long)result[2]); // stock buckets: the product's own keys
        Assert.Equal(0, (long)result[3]);
        Assert.Equal("p:" + orderIds[0], (string?)result[4]);
        Assert.Equal(5, (long)result[5]); // the purchase limit, before the rate
        Assert.Equal(0, (long)result[6]);
        Assert.Equal(1, (long)result[7]); // sold out
        Assert.Equal(2, (long)await redis.Database.HashGetAsync(RedisKeys.Purchases(productId), "c:c1") + (long)await redis.Database.HashGetAsync(RedisKeys.Purchases(productId), "c:c2"));
        Assert.Equal(0, double.Parse(((string)(await redis.Database.StringGetAsync(RedisKeys.RateBucket(productId)))!).Split(':')[0], CultureInfo.InvariantCulture), precision: 2);
    }

    [Fact]
    public async Task A_burst_shared_by_concurrent_orders_is_taken_exactly_once_per_token()
    {
        var productId = await InitAsync(1000);
        var gate = Gate(permitsPerSecond: 0.001, burst: 7);

        var decisions = await Task.WhenAll(Enumerable.Range(0, 100)
            .Select(i => Task.Run(() => gate.DecideAsync(productId, $"key-{i}", null, Anyone))));

        Assert.Equal(7, decisions.Count(d => d.Kind == OrderDecisionKind.Reserved));
        Assert.Equal(93, decisions.Count(d => d.Kind == OrderDecisionKind.RateLimited));
        Assert.Equal(993, (long)await redis.Database.StringGetAsync(RedisKeys.Stock(productId)));
    }

    [Fact]
    public async Task A_failing_call_fails_every_order_it_carried()
    {
        var productId = $"p-{Guid.NewGuid():N}";
        await redis.Database.HashSetAsync(RedisKeys.Stock(productId), "not", "a number"); // WRONGTYPE: the script fails
        var gate = Gate();

        var attempts = Enumerable.Range(0, 20).Select(i => gate.DecideAsync(productId, $"key-{i}", null, Anyone)).ToList();

        foreach (var attempt in attempts)
        {
            await Assert.ThrowsAnyAsync<RedisException>(() => attempt);
        }
        await redis.Database.KeyDeleteAsync(RedisKeys.Stock(productId));
        await redis.Database.StringSetAsync(RedisKeys.Stock(productId), 10);
        Assert.Equal(OrderDecisionKind.Reserved, (await gate.DecideAsync(productId, "after", null, Anyone)).Kind);
    }

    [Fact]
    public async Task A_sold_out_product_without_held_keys_is_answered_without_redis_until_a_unit_comes_back()
    {
        var productId = await InitAsync(0);
        var soldOut = SoldOut();
        var subscription = new StockReturnedSubscription(redis.Connection, soldOut, NullLogger<StockReturnedSubscription>.Instance);
        await subscription.StartAsync(CancellationToken.None);
        try
        {
            var gate = Gate(soldOut);
            Assert.Equal(OrderDecisionKind.SoldOut, (await gate.DecideAsync(productId, "first", null, Anyone)).Kind);
            var before = ScriptCalls();

            for (var i = 0; i < 100; i++)
            {
                Assert.Equal(OrderDecisionKind.SoldOut, (await gate.DecideAsync(productId, $"key-{i}", null, Anyone)).Kind);
            }
            Assert.Equal(0, ScriptCalls() - before);

            // A unit comes back (compensate.lua publishes it, as init, restore and cancel do).
            await redis.Database.StringSetAsync(RedisKeys.Stock(productId), 1);
            await redis.Connection.GetSubscriber().PublishAsync(RedisChannel.Literal(RedisKeys.StockReturnedChannel), RedisKeys.Stock(productId));
            await WaitUntilAsync(() => !soldOut.Answers(productId));
            Assert.Equal(OrderDecisionKind.Reserved, (await gate.DecideAsync(productId, "after-return", null, Anyone)).Kind);
        }
        finally
        {
            await subscription.StopAsync(CancellationToken.None);
        }
    }

    [Fact]
    public async Task Every_script_that_puts_units_back_publishes_it()
    {
        var productId = await InitAsync(1);
        var returned = new List<string?>();
        var subscriber = redis.Connection.GetSubscriber();
        var channel = RedisChannel.Literal(RedisKeys.StockReturnedChannel);
        await subscriber.SubscribeAsync(channel, (_, message) =>
        {
            lock (returned)
            {
                returned.Add(RedisKeys.ProductOf(message.ToString()));
            }
        });
        try
        {
            var gate = Gate();
            var order = await gate.DecideAsync(productId, "k", null, Anyone);
            Assert.True(await gate.CompensateAsync(productId, "k", order.OrderId, null));
            await _scripts.Init.EvaluateAsync(redis.Database,
                [RedisKeys.Stock(productId), RedisKeys.RateBucket(productId), RedisKeys.Ledger(productId), RedisKeys.Purchases(productId),
                    RedisKeys.Transfers(productId)], [5, 0, "", 1, ""]);

            await WaitUntilAsync(() => { lock (returned) { return returned.Count(id => id == productId) == 2; } });
        }
        finally
        {
            await subscriber.UnsubscribeAsync(channel);
        }
    }

    [Fact]
    public async Task The_confirm_turns_the_reservation_into_the_event_in_its_own_call_and_writes_the_key_no_more()
    {
        var productId = await InitAsync(1);
        var gate = Gate();
        var reserved = await gate.DecideAsync(productId, "k1", null, Anyone);
        var order = new OrderAccepted(reserved.OrderId, productId, "user", "k1", DateTimeOffset.UtcNow);

        Assert.Equal(RedisHashSlot.Of(productId), OrderIds.SlotOf(reserved.OrderId));
        Assert.Equal(ConfirmOutcome.Confirmed, await gate.ConfirmAsync(order, reserved.Bucket));

        var record = Assert.IsType<AcknowledgedEvent>(OrderRecords.Parse(new HashEntry(reserved.OrderId.ToString("N"),
            await redis.Database.HashGetAsync(OrderRecords.KeyOf(order.OrderId), reserved.OrderId.ToString("N")))));
        Assert.Equal(order, record.Event);
        // The key is written once, by the decision: the confirm only shortens its TTL.
        Assert.Equal("p:" + reserved.OrderId.ToString("N"), (string?)await redis.Database.StringGetAsync(RedisKeys.Idempotency(productId, "k1")));
        Assert.Equal(OrderDecisionKind.Duplicate, (await gate.DecideAsync(productId, "k1", null, Anyone)).Kind);

        // An id from another slot (the product was initialized again with another count of stock buckets between the
        // order's decision and its confirm): nothing was reserved for it here, and the call keeps to one slot on a cluster.
        var moved = new OrderAccepted(OrderIds.New((RedisHashSlot.Of(productId) + 1) % RedisHashSlot.Count), productId, "user", "k2",
            DateTimeOffset.UtcNow);
        Assert.Equal(ConfirmOutcome.NotHere, await gate.ConfirmAsync(moved));
    }

    [Fact]
    public async Task A_sold_out_product_asks_redis_while_any_key_may_be_held_so_a_retry_still_gets_duplicate()
    {
        var productId = await InitAsync(1);
        var soldOut = SoldOut();
        var subscription = new StockReturnedSubscription(redis.Connection, soldOut, NullLogger<StockReturnedSubscription>.Instance);
        await subscription.StartAsync(CancellationToken.None);
        try
        {
            var gate = Gate(soldOut, idempotencyTtl: TimeSpan.FromMilliseconds(500), inFlightHold: TimeSpan.Zero);
            var reserved = await gate.DecideAsync(productId, "bought", null, Anyone);
            Assert.Equal(ConfirmOutcome.Confirmed, await gate.ConfirmAsync(new OrderAccepted(reserved.OrderId, productId, "user", "bought", DateTimeOffset.UtcNow)));
            Assert.Equal(OrderDecisionKind.SoldOut, (await gate.DecideAsync(productId, "late", null, Anyone)).Kind);
            Assert.False(soldOut.Answers(productId)); // the bought key still holds

            Assert.Equal(new OrderDecision(OrderDecisionKind.Duplicate, reserved.OrderId), await gate.DecideAsync(productId, "bought", null, Anyone));

            // Once the key has expired (and the clock-skew allowance passed), Redis itself would answer any order sold out.
            await Task.Delay(TimeSpan.FromMilliseconds(600) + SoldOutProducts.ClockSkewAllowance);
            Assert.Equal(OrderDecisionKind.SoldOut, (await gate.DecideAsync(productId, "bought", null, Anyone)).Kind);
            Assert.True(soldOut.Answers(productId));
        }
        finally
        {
            await subscription.StopAsync(CancellationToken.None);
        }
    }

    [Fact]
    public async Task A_local_sold_out_answer_is_checked_with_redis_again_after_the_recheck_interval()
    {
        var productId = await InitAsync(0);
        var soldOut = SoldOut(recheck: TimeSpan.FromMilliseconds(200));
        soldOut.Listening(true); // no subscription: a lost message is what the recheck covers
        var gate = Gate(soldOut);
        Assert.Equal(OrderDecisionKind.SoldOut, (await gate.DecideAsync(productId, "first", null, Anyone)).Kind);
        Assert.True(soldOut.Answers(productId));

        await redis.Database.StringSetAsync(RedisKeys.Stock(productId), 1); // returned without a message
        await Task.Delay(300);

        Assert.Equal(OrderDecisionKind.Reserved, (await gate.DecideAsync(productId, "after", null, Anyone)).Kind);
    }

    [Fact]
    public async Task Nothing_is_answered_locally_while_stock_returned_messages_may_be_missed()
    {
        var productId = await InitAsync(0);
        var soldOut = SoldOut(); // never listening
        var gate = Gate(soldOut);

        Assert.Equal(OrderDecisionKind.SoldOut, (await gate.DecideAsync(productId, "first", null, Anyone)).Kind);

        Assert.False(soldOut.Answers(productId));
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "timed out waiting for the stock-returned message");
            await Task.Delay(10);
        }
    }
}
