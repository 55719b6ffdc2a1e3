using System.Net;
using FluxGate.Api.Options;
using FluxGate.Api.Orders;
using FluxGate.Api.Reconciliation;
using FluxGate.Api.Redis;
using FluxGate.Contracts;
using FluxGate.Tests.Infrastructure;
using StackExchange.Redis;

namespace FluxGate.Tests.Api;

/// <summary>The decision scripts against a real redis-server.</summary>
[Collection(RedisCollection.Name)]
public class OrderGateRedisTests(RedisFixture redis)
{
    private static readonly Shopper Anyone = Shopper.Anonymous("user", IPAddress.Loopback);
    private readonly GateScripts _scripts = new();

    private OrderGate Gate(double permitsPerSecond = 1_000_000, double burst = 0) =>
        TestGates.Create(redis.Connection, _scripts, new RateLimitOptions { PermitsPerSecond = permitsPerSecond, Burst = burst });

    private async Task<string> InitAsync(long stock)
    {
        var productId = $"p-{Guid.NewGuid():N}";
        await redis.Database.StringSetAsync(RedisKeys.Stock(productId), stock);
        return productId;
    }

    [Fact]
    public async Task A_thousand_parallel_orders_against_stock_100_sell_exactly_100()
    {
        var productId = await InitAsync(100);
        var gate = Gate();

        var decisions = await Task.WhenAll(Enumerable.Range(0, 1000)
            .Select(i => Task.Run(() => gate.DecideAsync(productId, $"key-{i}", admittedTicket: null, Anyone))));

        Assert.Equal(100, decisions.Count(d => d.Kind == OrderDecisionKind.Reserved));
        Assert.Equal(900, decisions.Count(d => d.Kind == OrderDecisionKind.SoldOut));
        Assert.Equal(100, decisions.Where(d => d.Kind == OrderDecisionKind.Reserved).Select(d => d.OrderId).Distinct().Count());
        Assert.Equal(0, (long)await redis.Database.StringGetAsync(RedisKeys.Stock(productId)));
        var heldKeys = redis.Server.Keys(pattern: $"fg:{{{productId}}}:idem:*", pageSize: 1000).Count();
        Assert.Equal(100, heldKeys);
    }

    [Fact]
    public async Task Concurrent_requests_with_one_key_reserve_once()
    {
        var productId = await InitAsync(10);
        var gate = Gate();

        var decisions = await Task.WhenAll(Enumerable.Range(0, 50)
            .Select(_ => Task.Run(() => gate.DecideAsync(productId, "same-key", admittedTicket: null, Anyone))));

        var reserved = Assert.Single(decisions, d => d.Kind == OrderDecisionKind.Reserved);
        Assert.All(decisions.Where(d => d.Kind != OrderDecisionKind.Reserved), d =>
        {
            Assert.Equal(OrderDecisionKind.InProgress, d.Kind);
            Assert.Equal(reserved.OrderId, d.OrderId);
        });
        Assert.Equal(9, (long)await redis.Database.StringGetAsync(RedisKeys.Stock(productId)));

        await gate.ConfirmAsync(new OrderAccepted(reserved.OrderId, productId, "user", "same-key", DateTimeOffset.UtcNow));
        Assert.Equal(new OrderDecision(OrderDecisionKind.Duplicate, reserved.OrderId), await gate.DecideAsync(productId, "same-key", null, Anyone));
    }

    [Fact]
    public async Task A_sold_out_product_answers_sold_out_before_the_rate_check()
    {
        var productId = await InitAsync(0);
        var gate = Gate(permitsPerSecond: 1, burst: 1);

        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(OrderDecisionKind.SoldOut, (await gate.DecideAsync(productId, $"k{i}", null, Anyone)).Kind);
        }
    }

    [Fact]
    public async Task A_product_never_initialized_is_reported_as_such()
    {
        Assert.Equal(OrderDecisionKind.NotInitialized, (await Gate().DecideAsync($"never-{Guid.NewGuid():N}", "k", null, Anyone)).Kind);
    }

    [Fact]
    public async Task The_token_bucket_allows_the_burst_then_refills_at_the_configured_rate()
    {
        const double rate = 4;
        var productId = await InitAsync(10_000);
        var gate = Gate(permitsPerSecond: rate, burst: 5);
        var key = 0;

        var burst = 0;
        DateTimeOffset beforeLastCall;
        while (true)
        {
            beforeLastCall = await RedisClockAsync();
            if ((await gate.DecideAsync(productId, $"k{key++}", null, Anyone)).Kind != OrderDecisionKind.Reserved)
            {
                break;
            }
            burst++;
        }
        var emptiedAt = await RedisClockAsync();
        Assert.InRange(burst, 5, 6); // the bucket may refill a fraction while the burst is taken

        // Wait on the server's clock (the bucket's clock), not ours: the two may disagree by a few ms.
        DateTimeOffset drainStartedAt;
        while ((drainStartedAt = await RedisClockAsync()) - emptiedAt < TimeSpan.FromMilliseconds(600))
        {
            await Task.Delay(50);
        }
        var refilled = 0;
        while ((await gate.DecideAsync(productId, $"k{key++}", null, Anyone)).Kind == OrderDecisionKind.Reserved)
        {
            refilled++;
        }
        var drainEndedAt = await RedisClockAsync();

        // Bounds from the server's own clock, so a slow machine moves the bounds, not the verdict:
        // at least what accrued while we slept, at most what accrued since the bucket was seen empty (+ the fraction left).
        var atLeast = (int)Math.Floor(Math.Min(5, (drainStartedAt - emptiedAt).TotalSeconds * rate));
        var atMost = (int)Math.Floor(Math.Min(5, 1 + (drainEndedAt - beforeLastCall).TotalSeconds * rate));
        Assert.InRange(refilled, atLeast, atMost);
    }

    [Fact]
    public async Task Compensation_returns_the_unit_and_forgets_the_key_exactly_once()
    {
        var productId = await InitAsync(1);
        var gate = Gate();
        var reserved = await gate.DecideAsync(productId, "k", null, Anyone);

        Assert.True(await gate.CompensateAsync(productId, "k", reserved.OrderId, admittedTicket: null));
        Assert.False(await gate.CompensateAsync(productId, "k", reserved.OrderId, admittedTicket: null));
        Assert.Equal(1, (long)await redis.Database.StringGetAsync(RedisKeys.Stock(productId)));

        var retried = await gate.DecideAsync(productId, "k", null, Anyone);
        Assert.Equal(OrderDecisionKind.Reserved, retried.Kind);
        Assert.False(await gate.CompensateAsync(productId, "k", reserved.OrderId, admittedTicket: null)); // the old order id cannot undo the new reservation
    }

    [Fact]
    public async Task An_admission_ticket_replaces_an_empty_bucket_once()
    {
        var productId = await InitAsync(100);
        var gate = Gate(permitsPerSecond: 0.001, burst: 1);
        Assert.Equal(OrderDecisionKind.Reserved, (await gate.DecideAsync(productId, "k1", null, Anyone)).Kind);
        Assert.Equal(OrderDecisionKind.RateLimited, (await gate.DecideAsync(productId, "k2", null, Anyone)).Kind);

        Assert.Equal(OrderDecisionKind.Reserved, (await gate.DecideAsync(productId, "k2", admittedTicket: 7, Anyone)).Kind);
        Assert.Equal(OrderDecisionKind.AdmissionAlreadyUsed, (await gate.DecideAsync(productId, "k3", admittedTicket: 7, Anyone)).Kind);
        Assert.Equal(OrderDecisionKind.Reserved, (await gate.DecideAsync(productId, "k3", admittedTicket: 8, Anyone)).Kind);
    }

    [Fact]
    public async Task Compensation_releases_the_admission_ticket_the_order_used()
    {
        var productId = await InitAsync(1);
        var gate = Gate(permitsPerSecond: 0.001, burst: 1);
        var reserved = await gate.DecideAsync(productId, "k", admittedTicket: 3, Anyone);
        Assert.Equal(OrderDecisionKind.Reserved, reserved.Kind);

        Assert.True(await gate.CompensateAsync(productId, "k", reserved.OrderId, admittedTicket: 3));

        Assert.Equal(OrderDecisionKind.Reserved, (await gate.DecideAsync(productId, "k", admittedTicket: 3, Anyone)).Kind);
    }

    [Fact]
    public async Task A_reservation_is_kept_in_flight_until_kafka_answers_then_as_unpersisted_until_postgres_has_it()
    {
        var productId = await InitAsync(10);
        var gate = Gate();
        var reserved = await gate.DecideAsync(productId, "k", admittedTicket: 4, Anyone);
        var orderId = reserved.OrderId.ToString("N");

        var record = await TestRecords.ReservationAsync(redis.Database, orderId);
        Assert.Equal(RedisKeys.Idempotency(productId, "k"), record?.IdempotencyRedisKey);
        Assert.Equal(4, record?.AdmissionTicket);
        // In flight, the key outlives its TTL: only the reconciler may let it go.
        Assert.True(await redis.Database.KeyTimeToLiveAsync(RedisKeys.Idempotency(productId, "k")) > new IdempotencyOptions().Ttl);

        await gate.ConfirmAsync(new OrderAccepted(reserved.OrderId, productId, "user", "k", DateTimeOffset.UtcNow));
        Assert.Equal(0, await TestRecords.ReservationsAsync(redis.Database, productId));
        Assert.Equal(1, await TestRecords.EventsAsync(redis.Database, productId));
        Assert.Equal(1, (long)await redis.Database.HashGetAsync(RedisKeys.Ledger(productId), "accepted"));
        Assert.True(await redis.Database.KeyTimeToLiveAsync(RedisKeys.Idempotency(productId, "k")) <= new IdempotencyOptions().Ttl);

        var refused = await gate.DecideAsync(productId, "k2", admittedTicket: null, Anyone);
        Assert.True(await gate.CompensateAsync(productId, "k2", refused.OrderId, admittedTicket: null));
        Assert.Equal(0, await TestRecords.ReservationsAsync(redis.Database, productId));
        Assert.Equal(9, (long)await redis.Database.StringGetAsync(RedisKeys.Stock(productId)));
    }

    [Fact]
    public async Task Scripts_still_run_after_the_server_forgets_them()
    {
        var productId = await InitAsync(5);
        var gate = Gate();
        await redis.Server.ScriptFlushAsync();

        Assert.Equal(OrderDecisionKind.Reserved, (await gate.DecideAsync(productId, "k", null, Anyone)).Kind);
        Assert.Equal(OrderDecisionKind.Reserved, (await gate.DecideAsync(productId, "k2", null, Anyone)).Kind);
    }

    private async Task<DateTimeOffset> RedisClockAsync() => await redis.Server.TimeAsync();
}
