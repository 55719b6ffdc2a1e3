using System.Net;
using FluxGate.Api.Inventory;
using FluxGate.Api.Options;
using FluxGate.Api.Orders;
using FluxGate.Api.Reconciliation;
using FluxGate.Api.Redis;
using FluxGate.Contracts;
using FluxGate.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;
using StackExchange.Redis;
using MsOptions = Microsoft.Extensions.Options.Options;

namespace FluxGate.Tests.Api;

/// <summary>
/// One product's stock split over several stock buckets, against a real redis-server: each order decided in its key's
/// bucket, the fall-through that moves units to an empty bucket, exact idempotency, a change of the split, the ticket's one
/// use and the books of every bucket. (On one server the buckets share it; the cluster collection runs them on three.)
/// </summary>
[Collection(RedisCollection.Name)]
public class StockBucketRedisTests(RedisFixture redis)
{
    private static readonly Shopper Anyone = Shopper.Anonymous("user", IPAddress.Loopback);
    private readonly GateScripts _scripts = new();

    private OrderGate Gate(SoldOutProducts? soldOut = null, int maxBatch = 128) =>
        TestGates.Create(redis.Connection, _scripts, maxBatch: maxBatch, soldOut: soldOut, buckets: new StockBucketMap(redis.Connection));

    private async Task<(string ProductId, string[] Buckets)> InitAsync(int quantity, int stockBuckets, string? productId = null, DateTimeOffset? at = null)
    {
        productId ??= $"p-{Guid.NewGuid():N}";
        var before = await new StockBucketMap(redis.Connection).ReadAsync(productId);
        var buckets = await InventoryService.ResetBucketsAsync(
            redis.Database, _scripts, productId, quantity, null, at ?? DateTimeOffset.UtcNow, stockBuckets, before);
        return (productId, buckets);
    }

    private async Task<long> StockAsync(string bucket) => (long)await redis.Database.StringGetAsync(RedisKeys.Stock(bucket));

    private async Task<long> LedgerAsync(string bucket, string field) => (long)await redis.Database.HashGetAsync(RedisKeys.Ledger(bucket), field);

    /// <summary>Keys whose orders the bucket at <paramref name="index"/> of <paramref name="count"/> decides.</summary>
    private static IEnumerable<string> KeysOf(int index, int count) =>
        Enumerable.Range(0, int.MaxValue).Select(i => $"key-{i}").Where(key => StockBuckets.IndexOf(key, count) == index);

    /// <summary>Each bucket's books balance: what it holds and sold is what it started with, plus what moved in, minus out.</summary>
    private async Task AssertBooksBalanceAsync(string[] buckets, long expectedSold)
    {
        long sold = 0, given = 0, received = 0;
        foreach (var bucket in buckets)
        {
            var stock = await StockAsync(bucket);
            var inFlight = await TestRecords.ReservationsAsync(redis.Database, bucket);
            var (initial, giv, rec) = (await LedgerAsync(bucket, "initial"), await LedgerAsync(bucket, "given"), await LedgerAsync(bucket, "received"));
            Assert.True(stock >= 0, $"{bucket}: stock {stock}");
            Assert.Equal(initial + rec - giv, stock + inFlight);
            sold += inFlight;
            given += giv;
            received += rec;
        }
        Assert.Equal(given, received); // nothing left moving
        Assert.Equal(expectedSold, sold);
    }

    [Fact]
    public void A_products_buckets_land_in_different_parts_of_the_slot_space_the_same_way_everywhere()
    {
        Assert.Equal(12182, RedisHashSlot.Of("foo")); // CLUSTER KEYSLOT foo
        Assert.Equal(5061, RedisHashSlot.Of("bar"));
        Assert.Equal(["iphone"], StockBuckets.Of("iphone", 1));

        foreach (var count in new[] { 2, 3, 4, 16 })
        {
            var buckets = StockBuckets.Of("iphone-15", count);
            Assert.Equal("iphone-15", buckets[0]);
            Assert.Equal(buckets, StockBuckets.Of("iphone-15", count));
            Assert.Equal(count, buckets.Distinct().Count());
            // One bucket per count-th of the 16384 slots: on count evenly split masters, one bucket per master.
            Assert.Equal(count, buckets.Select(bucket => RedisHashSlot.Of(bucket) * count / RedisHashSlot.Count).Distinct().Count());
            Assert.All(buckets, bucket => Assert.Equal("iphone-15", StockBuckets.ProductOf(bucket)));
            Assert.All(buckets, bucket => Assert.Equal("iphone-15", RedisKeys.ProductOf(RedisKeys.Stock(bucket))));
        }
        Assert.Throws<ArgumentOutOfRangeException>(() => StockBuckets.Of("p", StockBuckets.Max + 1));
        Assert.Equal(StockBuckets.IndexOf("some-key", 4), StockBuckets.IndexOf("some-key", 4));
    }

    [Fact]
    public async Task Init_splits_the_stock_and_each_order_is_decided_in_its_keys_bucket()
    {
        var (productId, buckets) = await InitAsync(10, 4);
        Assert.Equal(new long[] { 3, 3, 2, 2 }, await Task.WhenAll(buckets.Select(StockAsync)));
        Assert.Equal(10, (await new StockBucketMap(redis.Connection).ReadSaleAsync(productId)).Stock);
        var gate = Gate();

        var key = KeysOf(2, 4).First();
        var order = await gate.DecideAsync(productId, key, null, Anyone);

        Assert.Equal(OrderDecisionKind.Reserved, order.Kind);
        Assert.Equal(new long[] { 3, 3, 1, 2 }, await Task.WhenAll(buckets.Select(StockAsync)));
        Assert.Equal("p:" + order.OrderId.ToString("N"), (string?)await redis.Database.StringGetAsync(RedisKeys.Idempotency(buckets[2], key)));
        Assert.Equal(new OrderDecision(OrderDecisionKind.InProgress, order.OrderId), await gate.DecideAsync(productId, key, null, Anyone));
        Assert.Equal(ConfirmOutcome.Confirmed, await gate.ConfirmAsync(new OrderAccepted(order.OrderId, productId, "user", key, DateTimeOffset.UtcNow)));
        Assert.Equal(new OrderDecision(OrderDecisionKind.Duplicate, order.OrderId), await gate.DecideAsync(productId, key, null, Anyone));
        Assert.Equal(1, await LedgerAsync(buckets[2], "accepted"));
    }

    [Fact]
    public async Task An_order_whose_bucket_is_empty_is_served_from_another_and_the_last_units_all_sell()
    {
        // Three units over four buckets: bucket 3 starts empty, so its orders take units from the others.
        var (productId, buckets) = await InitAsync(3, 4);
        Assert.Equal(0, await StockAsync(buckets[3]));
        var gate = Gate();
        var keys = KeysOf(3, 4).Take(4).ToList();

        var decisions = new List<OrderDecision>();
        foreach (var key in keys)
        {
            decisions.Add(await gate.DecideAsync(productId, key, null, Anyone));
        }

        Assert.Equal(3, decisions.Count(decision => decision.Kind == OrderDecisionKind.Reserved));
        Assert.Equal(OrderDecisionKind.SoldOut, decisions[3].Kind); // only once every bucket is empty
        Assert.All(keys.Take(3), key => Assert.True(redis.Database.KeyExists(RedisKeys.Idempotency(buckets[3], key)))); // all in the key's bucket
        Assert.Equal(3, await TestRecords.ReservationsAsync(redis.Database, buckets[3]));
        Assert.Equal(3, await LedgerAsync(buckets[3], "received"));
        Assert.All(buckets.Take(3), bucket => Assert.Equal(0, redis.Database.HashLength(RedisKeys.Transfers(bucket)))); // moves finished
        await AssertBooksBalanceAsync(buckets, expectedSold: 3);
    }

    [Fact]
    public async Task Concurrent_orders_over_four_buckets_sell_exactly_the_stock_once_per_key()
    {
        const int stock = 37, orders = 300;
        var (productId, buckets) = await InitAsync(stock, 4);
        var gates = new[] { Gate(maxBatch: 16), Gate(maxBatch: 16), Gate(maxBatch: 1) }; // three apis side by side

        // Every key twice, through different apis: a key is decided in one bucket, so it reserves at most once.
        var decisions = await Task.WhenAll(Enumerable.Range(0, orders * 2).Select(i =>
            Task.Run(() => gates[i % gates.Length].DecideAsync(productId, $"key-{i % orders}", null, Anyone))));

        var reserved = decisions.Where(decision => decision.Kind == OrderDecisionKind.Reserved).ToList();
        Assert.Equal(stock, reserved.Count);
        Assert.Equal(stock, reserved.Select(decision => decision.OrderId).Distinct().Count());
        Assert.All(decisions, decision => Assert.Contains(decision.Kind,
            new[] { OrderDecisionKind.Reserved, OrderDecisionKind.SoldOut, OrderDecisionKind.InProgress }));
        Assert.Equal(0, (await new StockBucketMap(redis.Connection).ReadSaleAsync(productId)).Stock);
        await AssertBooksBalanceAsync(buckets, expectedSold: stock);
    }

    [Fact]
    public async Task A_move_reaches_its_receiver_exactly_once_and_not_across_a_new_init()
    {
        var at = DateTimeOffset.UtcNow;
        var (productId, buckets) = await InitAsync(8, 2, at: at);
        var sale = at.ToUnixTimeMilliseconds().ToString();

        // What an api does when it stops after the give: the record stays for the reconciler.
        var given = (RedisResult[])(await _scripts.StockGive.EvaluateAsync(redis.Database,
            [RedisKeys.Stock(buckets[1]), RedisKeys.Ledger(buckets[1]), RedisKeys.Transfers(buckets[1]), RedisKeys.KeysUntil(buckets[1])],
            [3, "t1", buckets[0], 2]))!;
        Assert.Equal(3, (long)given[0]);
        Assert.Equal(1, (long)given[1]);
        Assert.Equal(sale, (string?)given[3]);
        var record = StockTransfer.Parse(await redis.Database.HashGetAsync(RedisKeys.Transfers(buckets[1]), "t1"))!;
        Assert.Equal(new StockTransfer(3, record.GivenAtMs, sale, buckets[0]), record);

        Assert.True(await OrderGate.ReceiveAsync(redis.Database, _scripts, buckets[0], "t1", 3, sale));
        Assert.False(await OrderGate.ReceiveAsync(redis.Database, _scripts, buckets[0], "t1", 3, sale)); // the reconciler, again
        Assert.Equal(7, await StockAsync(buckets[0]));
        Assert.Equal(8, (await new StockBucketMap(redis.Connection).ReadSaleAsync(productId)).Stock);

        // Units given in one sale never join the next one.
        await InitAsync(8, 2, productId, at.AddSeconds(1));
        Assert.False(await OrderGate.ReceiveAsync(redis.Database, _scripts, buckets[0], "t2", 3, sale));
        Assert.Equal(8, (await new StockBucketMap(redis.Connection).ReadSaleAsync(productId)).Stock);
        Assert.Equal(0, await redis.Database.HashLengthAsync(RedisKeys.Transfers(buckets[1]))); // init dropped the old record
    }

    [Fact]
    public async Task An_api_routing_by_an_old_split_learns_the_new_one_and_decides_each_key_once()
    {
        var (productId, _) = await InitAsync(100, 1);
        var gate = Gate();
        Assert.Equal(OrderDecisionKind.Reserved, (await gate.DecideAsync(productId, "warm-up", null, Anyone)).Kind);

        // Another api splits the product: this one still routes by one bucket, is refused there and routes again.
        var (_, buckets) = await InitAsync(100, 4, productId, DateTimeOffset.UtcNow.AddSeconds(1));
        var key = KeysOf(3, 4).First();
        var order = await gate.DecideAsync(productId, key, null, Anyone);
        Assert.Equal(OrderDecisionKind.Reserved, order.Kind);
        Assert.True(await redis.Database.KeyExistsAsync(RedisKeys.Idempotency(buckets[3], key)));
        Assert.Equal(new OrderDecision(OrderDecisionKind.InProgress, order.OrderId), await gate.DecideAsync(productId, key, null, Anyone));

        // And back to one bucket: the old buckets are emptied and refuse what is routed to them.
        await InitAsync(5, 1, productId, DateTimeOffset.UtcNow.AddSeconds(2));
        Assert.Equal(new long[] { 5, 0, 0, 0 }, await Task.WhenAll(buckets.Select(StockAsync)));
        Assert.Equal(OrderDecisionKind.Reserved, (await gate.DecideAsync(productId, KeysOf(2, 4).First(), null, Anyone)).Kind);
        Assert.Equal(4, await StockAsync(productId));
    }

    [Fact]
    public async Task An_admission_ticket_serves_one_order_whichever_bucket_its_orders_land_in()
    {
        var (productId, buckets) = await InitAsync(10, 4);
        var gate = Gate();
        string[] keys = [KeysOf(0, 4).First(), KeysOf(1, 4).First(), KeysOf(2, 4).First()];

        var first = await gate.DecideAsync(productId, keys[0], admittedTicket: 42, Anyone);
        var second = await gate.DecideAsync(productId, keys[1], admittedTicket: 42, Anyone);

        Assert.Equal(OrderDecisionKind.Reserved, first.Kind);
        Assert.Equal(OrderDecisionKind.AdmissionAlreadyUsed, second.Kind);
        Assert.Equal(9, (await new StockBucketMap(redis.Connection).ReadSaleAsync(productId)).Stock); // the second's reservation undone
        Assert.False(await redis.Database.KeyExistsAsync(RedisKeys.Idempotency(buckets[1], keys[1])));

        // Kafka refuses the first: the ticket is free again, and serves one order once more.
        Assert.True(await gate.CompensateAsync(productId, keys[0], first.OrderId, 42));
        Assert.Equal(OrderDecisionKind.Reserved, (await gate.DecideAsync(productId, keys[2], admittedTicket: 42, Anyone)).Kind);
        Assert.Equal(OrderDecisionKind.AdmissionAlreadyUsed, (await gate.DecideAsync(productId, keys[0], admittedTicket: 42, Anyone)).Kind);
        Assert.Equal(9, (await new StockBucketMap(redis.Connection).ReadSaleAsync(productId)).Stock);
    }

    [Fact]
    public async Task A_cancel_after_a_re_init_with_another_split_finds_the_orders_bucket_so_a_second_cancel_returns_nothing()
    {
        var (productId, buckets) = await InitAsync(4, 4);
        var gate = Gate();
        var overTwo = StockBuckets.Of(productId, 2);
        var key = KeysOf(3, 4).First(key => overTwo[StockBuckets.IndexOf(key, 2)] != buckets[3]);
        var order = await gate.DecideAsync(productId, key, null, Anyone);
        var at = DateTimeOffset.UtcNow;
        Assert.Equal(ConfirmOutcome.Confirmed, await gate.ConfirmAsync(new OrderAccepted(order.OrderId, productId, "user", key, at)));
        var map = new StockBucketMap(redis.Connection);
        var known = new KnownOrder(order.OrderId, productId, "user", "accepted", Persisted: false, at, key);
        var cancel = new OrderCancelled(order.OrderId, productId, at);

        var first = await map.ReadDecidingBucketAsync(productId, order.OrderId, key);
        Assert.Equal(buckets[3], first);
        Assert.True(await OrderCancellation.ReturnUnitAsync(redis.Database, _scripts, known, cancel, first));

        // The product initialized again over two buckets before the first cancel reached PostgreSQL: the key would map
        // to another bucket now, the order's id still names the one that decided it.
        await InitAsync(4, 2, productId);
        Assert.NotEqual(buckets[3], await map.ReadBucketOfAsync(productId, key));
        var second = await map.ReadDecidingBucketAsync(productId, order.OrderId, key);

        Assert.Equal(first, second);
        Assert.False(await OrderCancellation.ReturnUnitAsync(redis.Database, _scripts, known, cancel, second));
    }

    [Fact]
    public async Task A_cancel_returns_the_unit_to_the_orders_bucket()
    {
        var (productId, buckets) = await InitAsync(4, 4);
        var gate = Gate();
        var key = KeysOf(1, 4).First();
        var order = await gate.DecideAsync(productId, key, null, Anyone);
        var at = DateTimeOffset.UtcNow;
        Assert.Equal(ConfirmOutcome.Confirmed, await gate.ConfirmAsync(new OrderAccepted(order.OrderId, productId, "user", key, at)));
        Assert.Equal(0, await StockAsync(buckets[1]));

        var bucket = await new StockBucketMap(redis.Connection).ReadBucketOfAsync(productId, key);
        var known = new KnownOrder(order.OrderId, productId, "user", "accepted", Persisted: false, at, key);
        Assert.True(await OrderCancellation.ReturnUnitAsync(redis.Database, _scripts, known, new OrderCancelled(order.OrderId, productId, at), bucket));
        Assert.False(await OrderCancellation.ReturnUnitAsync(redis.Database, _scripts, known, new OrderCancelled(order.OrderId, productId, at), bucket));

        Assert.Equal(buckets[1], bucket);
        Assert.Equal(new long[] { 1, 1, 1, 1 }, await Task.WhenAll(buckets.Select(StockAsync)));
        Assert.Equal(1, await LedgerAsync(buckets[1], "cancelled"));
    }

    [Fact]
    public async Task A_split_product_is_answered_sold_out_locally_only_once_every_bucket_is_empty()
    {
        var (productId, buckets) = await InitAsync(2, 2);
        var soldOut = new SoldOutProducts(MsOptions.Create(new OrderBatchingOptions { SoldOutRecheck = TimeSpan.FromSeconds(30) }), TimeProvider.System);
        var subscription = new StockReturnedSubscription(redis.Connection, soldOut, NullLogger<StockReturnedSubscription>.Instance);
        await subscription.StartAsync(CancellationToken.None);
        try
        {
            var gate = Gate(soldOut);
            // Both units sold through bucket 0's keys: bucket 0 empties first and takes bucket 1's unit.
            var keys = KeysOf(0, 2).Take(3).ToList();
            Assert.Equal(OrderDecisionKind.Reserved, (await gate.DecideAsync(productId, keys[0], null, Anyone)).Kind);
            Assert.False(soldOut.Answers(productId, buckets)); // bucket 0 is empty, bucket 1 is not
            var returnsBefore = soldOut.Returns;
            Assert.Equal(OrderDecisionKind.Reserved, (await gate.DecideAsync(productId, keys[1], null, Anyone)).Kind);
            // The move into bucket 0 says a unit came back there: wait for that message, or it could undo what comes next.
            var deadline = DateTime.UtcNow.AddSeconds(5);
            while (soldOut.Returns == returnsBefore)
            {
                Assert.True(DateTime.UtcNow < deadline, "timed out waiting for the stock-returned message of the move");
                await Task.Delay(10);
            }
            Assert.Equal(OrderDecisionKind.SoldOut, (await gate.DecideAsync(productId, keys[2], null, Anyone)).Kind);
            Assert.True(soldOut.IsEmpty(buckets[0]));
            Assert.True(soldOut.IsEmpty(buckets[1]));
            Assert.False(soldOut.Answers(productId, buckets)); // the two keys still hold in bucket 0

            // As if the two keys had expired: the next order learns bucket 0 again, now without held keys, and from then on
            // the product is answered here (bucket 1 never held a key).
            await redis.Database.KeyDeleteAsync(RedisKeys.KeysUntil(buckets[0]));
            Assert.Equal(OrderDecisionKind.SoldOut, (await gate.DecideAsync(productId, keys[2], null, Anyone)).Kind);
            Assert.True(soldOut.Answers(productId, buckets));

            // A unit back in either bucket (a cancel publishes it) ends the local answer.
            await redis.Connection.GetSubscriber().PublishAsync(RedisChannel.Literal(RedisKeys.StockReturnedChannel), RedisKeys.Stock(buckets[1]));
            deadline = DateTime.UtcNow.AddSeconds(5);
            while (soldOut.Answers(productId, buckets))
            {
                Assert.True(DateTime.UtcNow < deadline, "timed out waiting for the stock-returned message");
                await Task.Delay(10);
            }
            Assert.False(soldOut.IsEmpty(buckets[1]));
            Assert.True(soldOut.IsEmpty(buckets[0]));
        }
        finally
        {
            await subscription.StopAsync(CancellationToken.None);
        }
    }
}
