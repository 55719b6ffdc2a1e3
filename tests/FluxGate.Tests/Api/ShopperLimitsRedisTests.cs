using System.Net;
using FluxGate.Api.Inventory;
using FluxGate.Api.Options;
using FluxGate.Api.Orders;
using FluxGate.Api.Reconciliation;
using FluxGate.Api.Redis;
using FluxGate.Contracts;
using FluxGate.Tests.Infrastructure;
using StackExchange.Redis;

namespace FluxGate.Tests.Api;

/// <summary>Rate tiers, the per-shopper bucket and the per-customer purchase limit, in the order script against a real redis-server.</summary>
[Collection(RedisCollection.Name)]
public class ShopperLimitsRedisTests(RedisFixture redis)
{
    private readonly GateScripts _scripts = new();

    private OrderGate Gate(RateLimitOptions? rateLimit = null) => TestGates.Create(redis.Connection, _scripts, rateLimit);

    private async Task<string> InitAsync(int stock, int? maxPerCustomer = null, string? productId = null)
    {
        productId ??= $"p-{Guid.NewGuid():N}";
        await InventoryService.ResetAsync(redis.Database, _scripts, productId, stock, maxPerCustomer, DateTimeOffset.UtcNow);
        return productId;
    }

    private static Shopper Anonymous(string userId, string address = "203.0.113.7") => Shopper.Anonymous(userId, IPAddress.Parse(address));

    private static Shopper SignedIn(string subject) => Shopper.SignedIn(subject);

    private async Task<long> StockAsync(string productId) => (long)await redis.Database.StringGetAsync(RedisKeys.Stock(productId));

    // ---- rate tiers ----

    [Fact]
    public async Task Under_a_burst_each_tier_gets_its_share_of_the_products_bucket()
    {
        // Total 0.01/s with a burst of 100; authenticated 70% of it, anonymous the rest: 70 and 30 tokens, barely refilling.
        var gate = Gate(new RateLimitOptions
        {
            PermitsPerSecond = 0.01, Burst = 100,
            Tiers = { Authenticated = { PermitsPerSecond = 0.007 } },
        });
        var productId = await InitAsync(10_000);

        var decisions = await Task.WhenAll(Enumerable.Range(0, 600).Select(i => Task.Run(async () =>
        {
            var shopper = i % 2 == 0 ? SignedIn($"sub-{i}") : Anonymous($"anon-{i}", $"198.51.100.{i % 250}");
            return (shopper.Tier, (await gate.DecideAsync(productId, $"k{i}", null, shopper)).Kind);
        })));

        Assert.Equal(70, decisions.Count(d => d.Tier == ShopperTier.Authenticated && d.Kind == OrderDecisionKind.Reserved));
        Assert.Equal(30, decisions.Count(d => d.Tier == ShopperTier.Anonymous && d.Kind == OrderDecisionKind.Reserved));
        Assert.Equal(500, decisions.Count(d => d.Kind == OrderDecisionKind.RateLimited));
        Assert.Equal(10_000 - 100, await StockAsync(productId));
    }

    [Fact]
    public async Task An_anonymous_flood_leaves_the_authenticated_share_untouched()
    {
        var gate = Gate(new RateLimitOptions
        {
            PermitsPerSecond = 0.01, Burst = 100,
            Tiers = { Anonymous = { PermitsPerSecond = 0.002 } }, // authenticated: the other 0.008/s, burst 80
        });
        var productId = await InitAsync(10_000);

        var flood = await Task.WhenAll(Enumerable.Range(0, 1000).Select(i =>
            Task.Run(() => gate.DecideAsync(productId, $"bot-{i}", null, Anonymous($"bot-{i}", $"192.0.2.{i % 250}")))));
        var signedIn = await Task.WhenAll(Enumerable.Range(0, 200).Select(i =>
            Task.Run(() => gate.DecideAsync(productId, $"member-{i}", null, SignedIn($"member-{i}")))));

        Assert.Equal(20, flood.Count(d => d.Kind == OrderDecisionKind.Reserved));
        Assert.Equal(80, signedIn.Count(d => d.Kind == OrderDecisionKind.Reserved));
    }

    [Fact]
    public async Task Without_tiers_every_shopper_draws_from_the_products_one_bucket()
    {
        var gate = Gate(new RateLimitOptions { PermitsPerSecond = 0.001, Burst = 10 });
        var productId = await InitAsync(100);

        var decisions = await Task.WhenAll(Enumerable.Range(0, 100).Select(i => Task.Run(() =>
            gate.DecideAsync(productId, $"k{i}", null, i % 2 == 0 ? SignedIn($"s{i}") : Anonymous($"a{i}", $"192.0.2.{i}")))));

        Assert.Equal(10, decisions.Count(d => d.Kind == OrderDecisionKind.Reserved));
        Assert.True(await redis.Database.KeyExistsAsync(RedisKeys.RateBucket(productId)));
        Assert.False(await redis.Database.KeyExistsAsync(RedisKeys.TierRateBucket(productId, "anonymous")));
    }

    // ---- the per-shopper bucket ----

    [Fact]
    public async Task A_bot_with_a_fresh_user_id_per_request_is_held_to_one_clients_rate()
    {
        var gate = Gate(new RateLimitOptions { PermitsPerSecond = 1_000_000, PerShopper = { PermitsPerSecond = 0.001, Burst = 5 } });
        var productId = await InitAsync(10_000);

        var bot = await Task.WhenAll(Enumerable.Range(0, 200).Select(i =>
            Task.Run(() => gate.DecideAsync(productId, $"bot-{i}", null, Anonymous($"fresh-user-{Guid.NewGuid():N}")))));

        Assert.Equal(5, bot.Count(d => d.Kind == OrderDecisionKind.Reserved));
        Assert.Equal(195, bot.Count(d => d.Kind == OrderDecisionKind.RateLimited));
        // Someone else, from another address, is not held back by the bot.
        Assert.Equal(OrderDecisionKind.Reserved, (await gate.DecideAsync(productId, "other", null, Anonymous("u", "198.51.100.9"))).Kind);
        // The shopper's bucket lives under the product's hash tag and expires.
        var bucket = RedisKeys.ShopperRateBucket(productId, Anonymous("x").RateKey);
        Assert.StartsWith($"fg:{{{productId}}}:", bucket);
        Assert.NotNull(await redis.Database.KeyTimeToLiveAsync(bucket));
    }

    [Fact]
    public async Task A_signed_in_shopper_is_held_to_the_per_shopper_rate_by_subject_whatever_the_address()
    {
        var gate = Gate(new RateLimitOptions { PermitsPerSecond = 1_000_000, PerShopper = { PermitsPerSecond = 0.001, Burst = 3 } });
        var productId = await InitAsync(10_000);

        var decisions = new List<OrderDecisionKind>();
        for (var i = 0; i < 10; i++)
        {
            decisions.Add((await gate.DecideAsync(productId, $"k{i}", null, SignedIn("sub-1"))).Kind);
        }

        Assert.Equal(3, decisions.Count(kind => kind == OrderDecisionKind.Reserved));
        Assert.Equal(OrderDecisionKind.Reserved, (await gate.DecideAsync(productId, "k-other", null, SignedIn("sub-2"))).Kind);
    }

    [Fact]
    public async Task A_request_over_the_per_shopper_rate_takes_no_token_from_the_product()
    {
        var gate = Gate(new RateLimitOptions { PermitsPerSecond = 0.001, Burst = 10, PerShopper = { PermitsPerSecond = 0.001, Burst = 3 } });
        var productId = await InitAsync(100);

        var bot = await Task.WhenAll(Enumerable.Range(0, 100).Select(i =>
            Task.Run(() => gate.DecideAsync(productId, $"bot-{i}", null, Anonymous($"bot-{i}")))));
        var others = new List<OrderDecisionKind>();
        for (var i = 0; i < 8; i++)
        {
            others.Add((await gate.DecideAsync(productId, $"o{i}", null, Anonymous($"o{i}", $"198.51.100.{i + 1}"))).Kind);
        }

        Assert.Equal(3, bot.Count(d => d.Kind == OrderDecisionKind.Reserved));
        Assert.Equal([.. Enumerable.Repeat(OrderDecisionKind.Reserved, 7), OrderDecisionKind.RateLimited], others);
    }

    [Fact]
    public async Task An_admission_token_replaces_the_per_shopper_bucket_too()
    {
        var gate = Gate(new RateLimitOptions { PermitsPerSecond = 1_000_000, PerShopper = { PermitsPerSecond = 0.001, Burst = 1 } });
        var productId = await InitAsync(10);
        Assert.Equal(OrderDecisionKind.Reserved, (await gate.DecideAsync(productId, "k1", null, Anonymous("u"))).Kind);
        Assert.Equal(OrderDecisionKind.RateLimited, (await gate.DecideAsync(productId, "k2", null, Anonymous("u"))).Kind);

        Assert.Equal(OrderDecisionKind.Reserved, (await gate.DecideAsync(productId, "k2", admittedTicket: 1, Anonymous("u"))).Kind);
    }

    // ---- the purchase limit ----

    [Fact]
    public async Task Fifty_parallel_orders_of_one_customer_with_a_limit_of_2_reserve_exactly_2()
    {
        var gate = Gate();
        var productId = await InitAsync(100, maxPerCustomer: 2);

        var decisions = await Task.WhenAll(Enumerable.Range(0, 50).Select(i =>
            Task.Run(() => gate.DecideAsync(productId, $"k{i}", null, Anonymous("greedy", $"198.51.100.{i + 1}")))));

        Assert.Equal(2, decisions.Count(d => d.Kind == OrderDecisionKind.Reserved));
        Assert.Equal(48, decisions.Count(d => d.Kind == OrderDecisionKind.LimitReached));
        Assert.Equal(98, await StockAsync(productId));
        Assert.Equal(2, (long)await redis.Database.HashGetAsync(RedisKeys.Purchases(productId), "c:greedy"));
        // Another customer has an allowance of their own.
        Assert.Equal(OrderDecisionKind.Reserved, (await gate.DecideAsync(productId, "other", null, Anonymous("someone-else"))).Kind);
    }

    [Fact]
    public async Task A_signed_in_customer_is_counted_by_subject()
    {
        var gate = Gate();
        var productId = await InitAsync(100, maxPerCustomer: 1);

        Assert.Equal(OrderDecisionKind.Reserved, (await gate.DecideAsync(productId, "k1", null, SignedIn("sub-9"))).Kind);
        Assert.Equal(OrderDecisionKind.LimitReached, (await gate.DecideAsync(productId, "k2", null, SignedIn("sub-9"))).Kind);
    }

    [Fact]
    public async Task The_limit_is_checked_before_the_rate_so_a_customer_at_it_is_not_sent_to_the_waiting_room()
    {
        var gate = Gate(new RateLimitOptions { PermitsPerSecond = 0.001, Burst = 1 });
        var productId = await InitAsync(100, maxPerCustomer: 1);

        Assert.Equal(OrderDecisionKind.Reserved, (await gate.DecideAsync(productId, "k1", null, Anonymous("c"))).Kind);
        Assert.Equal(OrderDecisionKind.LimitReached, (await gate.DecideAsync(productId, "k2", null, Anonymous("c"))).Kind);
        Assert.Equal(OrderDecisionKind.RateLimited, (await gate.DecideAsync(productId, "k3", null, Anonymous("d"))).Kind);
    }

    [Fact]
    public async Task A_replayed_key_still_answers_its_original_order_after_the_limit_is_reached()
    {
        var gate = Gate();
        var productId = await InitAsync(100, maxPerCustomer: 2);
        var first = await gate.DecideAsync(productId, "k1", null, Anonymous("c"));
        var second = await gate.DecideAsync(productId, "k2", null, Anonymous("c"));
        await gate.ConfirmAsync(new OrderAccepted(first.OrderId, productId, "c", "k1", DateTimeOffset.UtcNow));

        Assert.Equal(OrderDecisionKind.LimitReached, (await gate.DecideAsync(productId, "k3", null, Anonymous("c"))).Kind);
        Assert.Equal(new OrderDecision(OrderDecisionKind.Duplicate, first.OrderId), await gate.DecideAsync(productId, "k1", null, Anonymous("c")));
        Assert.Equal(new OrderDecision(OrderDecisionKind.InProgress, second.OrderId), await gate.DecideAsync(productId, "k2", null, Anonymous("c")));
        Assert.Equal(98, await StockAsync(productId));
    }

    [Fact]
    public async Task Compensation_gives_the_allowance_back()
    {
        var gate = Gate();
        var productId = await InitAsync(100, maxPerCustomer: 1);
        var reserved = await gate.DecideAsync(productId, "k1", null, Anonymous("c"));
        Assert.Equal(OrderDecisionKind.LimitReached, (await gate.DecideAsync(productId, "k2", null, Anonymous("c"))).Kind);

        Assert.True(await gate.CompensateAsync(productId, "k1", reserved.OrderId, admittedTicket: null));
        Assert.False(await gate.CompensateAsync(productId, "k1", reserved.OrderId, admittedTicket: null)); // once only

        Assert.False(await redis.Database.HashExistsAsync(RedisKeys.Purchases(productId), "c:c"));
        Assert.Equal(OrderDecisionKind.Reserved, (await gate.DecideAsync(productId, "k2", null, Anonymous("c"))).Kind);
        Assert.Equal(OrderDecisionKind.LimitReached, (await gate.DecideAsync(productId, "k3", null, Anonymous("c"))).Kind);
    }

    [Fact]
    public async Task The_reconcilers_give_back_of_an_unresolved_reservation_returns_the_allowance_named_in_its_record()
    {
        var gate = Gate();
        var productId = await InitAsync(100, maxPerCustomer: 1);
        const string customer = "user:1|ü ok";
        var reserved = await gate.DecideAsync(productId, "k1", admittedTicket: 5, Anonymous(customer));
        var orderId = reserved.OrderId.ToString("N");

        // What the reconciler reads and runs for a reservation PostgreSQL does not have.
        var record = (await TestRecords.ReservationAsync(redis.Database, orderId))!;
        Assert.Equal(customer, record.CustomerId);
        var returned = await ReservationUndo.UndoAsync(redis.Database, _scripts, productId, record.IdempotencyRedisKey, record.OrderId,
            ReservationUndo.TicketMarkers(null, productId, record.AdmissionTicket));

        Assert.True(returned);
        Assert.Equal(100, await StockAsync(productId));
        Assert.Equal(OrderDecisionKind.Reserved, (await gate.DecideAsync(productId, "k1", null, Anonymous(customer))).Kind);
    }

    [Fact]
    public async Task A_cancel_gives_the_allowance_back_once()
    {
        var gate = Gate();
        var productId = await InitAsync(100, maxPerCustomer: 1);
        var order = await AcceptAsync(gate, productId, "k1", "c");
        Assert.Equal(OrderDecisionKind.LimitReached, (await gate.DecideAsync(productId, "k2", null, Anonymous("c"))).Kind);

        Assert.True(await CancelAsync(order));
        Assert.False(await CancelAsync(order));

        Assert.Equal(100, await StockAsync(productId));
        Assert.Equal(OrderDecisionKind.Reserved, (await gate.DecideAsync(productId, "k2", null, Anonymous("c"))).Kind);
        Assert.Equal(OrderDecisionKind.LimitReached, (await gate.DecideAsync(productId, "k3", null, Anonymous("c"))).Kind);
    }

    [Fact]
    public async Task Init_resets_every_customers_count_and_a_cancel_of_an_order_from_before_it_gives_nothing_back()
    {
        var gate = Gate();
        var productId = await InitAsync(100, maxPerCustomer: 1);
        var before = await AcceptAsync(gate, productId, "k1", "c", acceptedAt: DateTimeOffset.UtcNow.AddSeconds(-5));

        await InitAsync(100, maxPerCustomer: 1, productId);
        Assert.False(await redis.Database.HashExistsAsync(RedisKeys.Purchases(productId), "c:c"));
        await AcceptAsync(gate, productId, "k2", "c");
        Assert.Equal(OrderDecisionKind.LimitReached, (await gate.DecideAsync(productId, "k3", null, Anonymous("c"))).Kind);

        Assert.True(await CancelAsync(before));
        Assert.Equal(OrderDecisionKind.LimitReached, (await gate.DecideAsync(productId, "k3", null, Anonymous("c"))).Kind);
    }

    [Fact]
    public async Task Without_a_limit_nothing_is_counted()
    {
        var gate = Gate();
        var productId = await InitAsync(100);

        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(OrderDecisionKind.Reserved, (await gate.DecideAsync(productId, $"k{i}", null, Anonymous("c"))).Kind);
        }
        Assert.False(await redis.Database.KeyExistsAsync(RedisKeys.Purchases(productId)));
        var records = (await TestRecords.OfAsync(redis.Database, productId)).OfType<InFlightReservation>().ToList();
        Assert.Equal(5, records.Count);
        Assert.All(records, record => Assert.Null(record.CustomerId)); // no customer to give an allowance back to
    }

    private async Task<KnownOrder> AcceptAsync(OrderGate gate, string productId, string key, string customer, DateTimeOffset? acceptedAt = null)
    {
        var reserved = await gate.DecideAsync(productId, key, null, Anonymous(customer));
        Assert.Equal(OrderDecisionKind.Reserved, reserved.Kind);
        var at = acceptedAt ?? DateTimeOffset.UtcNow;
        await gate.ConfirmAsync(new OrderAccepted(reserved.OrderId, productId, customer, key, at));
        return new KnownOrder(reserved.OrderId, productId, customer, "accepted", Persisted: false, at);
    }

    private Task<bool> CancelAsync(KnownOrder order) =>
        OrderCancellation.ReturnUnitAsync(redis.Database, _scripts, order, new OrderCancelled(order.OrderId, order.ProductId, DateTimeOffset.UtcNow));
}
