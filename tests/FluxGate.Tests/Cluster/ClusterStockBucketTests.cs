using System.Net;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text.Json;
using FluxGate.Api.Redis;
using FluxGate.Contracts;
using FluxGate.Tests.Infrastructure;
using FluxGate.Tests.Recovery;
using StackExchange.Redis;
using Xunit.Abstractions;

namespace FluxGate.Tests.Cluster;

/// <summary>
/// One hot product split over four stock buckets on the three-master cluster, end to end through the api: the buckets'
/// keys on different masters, a concurrent burst that sells exactly the stock once per key, the last units spread over
/// several buckets all sold to orders of one bucket, sums in <c>/inventory</c>, <c>/events</c> and the books.
/// </summary>
[Collection(ClusterGraphCollection.Name)]
public sealed class ClusterStockBucketTests(ClusterGraphFixture graph, ITestOutputHelper output) : IDisposable
{
    private const int Buckets = 4;
    private readonly Shop _shop = new(graph.App, output);

    private HttpClient Api => _shop.Api;

    public void Dispose() => _shop.Dispose();

    [Fact]
    public Task Concurrent_orders_for_one_product_over_four_buckets_sell_exactly_the_stock_and_the_books_agree() =>
        graph.WithLogsOnFailureAsync(output, async () =>
        {
            const int stock = 60, shoppers = 240;
            var productId = Shop.NewProduct("hot-k4");
            await InitAsync(productId, stock, Buckets);

            // One bucket per quarter of the slots: on three masters (thirds) they span at least two; three buckets span all three.
            Assert.True(Masters(StockBuckets.Of(productId, Buckets)).Count >= 2);
            Assert.Equal(3, Masters(StockBuckets.Of(productId, 3)).Count);

            // Every shopper twice at once (a double click): each key is decided in its one bucket, so at most once.
            var attempts = await Task.WhenAll(Enumerable.Range(0, shoppers * 2).Select(i =>
                Shop.OrderAsync(Api, productId, $"{productId}-{i % shoppers}", $"user-{i % shoppers}")));

            var outcomes = attempts.GroupBy(attempt => $"{(int?)attempt.Status} {attempt.Outcome ?? attempt.Error}").ToDictionary(group => group.Key, group => group.Count());
            output.WriteLine(string.Join(", ", outcomes.Select(outcome => $"{outcome.Key} ×{outcome.Value}")));
            var accepted = attempts.Where(attempt => attempt.Accepted).ToList();
            Assert.Equal(stock, accepted.Select(attempt => attempt.Key).Distinct().Count());
            Assert.Equal(stock, accepted.Select(attempt => attempt.OrderId).Distinct().Count());
            Assert.All(attempts, attempt => Assert.True(
                attempt.Accepted || attempt.Status == HttpStatusCode.Conflict || attempt is { Status: HttpStatusCode.OK, Outcome: "ignored" }
                || attempt is { Status: HttpStatusCode.TooManyRequests, Outcome: "in_progress" }, attempt.ToString())); // sold out, or the other click's
            Assert.Equal(0, await StockAsync(productId));

            var report = await _shop.UntilInvariantsHoldAsync(productId);
            Assert.Equal(Buckets, report.GetProperty("stockBuckets").GetInt32());
            Assert.Equal(stock, report.GetProperty("accepted").GetInt64());
            Assert.Equal(stock, report.GetProperty("persisted").GetInt64());
            Assert.Equal(stock, report.GetProperty("stockTaken").GetInt64());
            Assert.Equal(stock, report.GetProperty("initialStock").GetInt64());
            Assert.Equal(0, report.GetProperty("stock").GetInt64());
            Assert.Empty(await _shop.KeysOrderedTwiceAsync(productId));
        });

    [Fact]
    public Task The_last_units_spread_over_buckets_all_sell_to_one_buckets_orders_and_a_cancel_returns_to_its_bucket() =>
        graph.WithLogsOnFailureAsync(output, async () =>
        {
            // Three units over four buckets: 1, 1, 1, 0. Every order below belongs to bucket 3, the empty one.
            var productId = Shop.NewProduct("last-units");
            await InitAsync(productId, 3, Buckets);
            var buckets = StockBuckets.Of(productId, Buckets);
            var keys = Enumerable.Range(0, int.MaxValue).Select(i => $"{productId}-{i}")
                .Where(key => StockBuckets.IndexOf(key, Buckets) == 3).Take(5).ToList();
            Assert.Equal(new long[] { 1, 1, 1, 0 }, await Task.WhenAll(buckets.Select(BucketStockAsync)));

            using var socket = new ClientWebSocket();
            var endpoint = new UriBuilder(graph.App.GetEndpoint("api")) { Scheme = "ws", Path = "/events", Query = $"productId={productId}" }.Uri;
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            await socket.ConnectAsync(endpoint, timeout.Token);
            Assert.Equal(3, (await ClusterEndToEndTests.ReceiveAsync(socket, timeout.Token)).GetProperty("stock").GetInt64()); // the sum

            var sold = new List<OrderAttempt>();
            foreach (var key in keys.Take(3))
            {
                sold.Add(await _shop.OrderAsync(productId, key, "buyer"));
            }
            Assert.All(sold, attempt => Assert.True(attempt.Accepted, attempt.ToString()));
            var late = await _shop.OrderAsync(productId, keys[3], "late");
            Assert.Equal(HttpStatusCode.Conflict, late.Status);
            Assert.Equal("sold_out", late.Outcome);
            Assert.Equal(new long[] { 0, 0, 0, 0 }, await Task.WhenAll(buckets.Select(BucketStockAsync)));
            Assert.Equal(0, await StockAsync(productId));
            Assert.All(keys.Take(3), key => Assert.True(graph.Redis.GetDatabase().KeyExists(RedisKeys.Idempotency(buckets[3], key))));
            var again = await _shop.OrderAsync(productId, keys[0], "buyer");
            Assert.Equal(sold[0].OrderId, again.OrderId); // the key's bucket still answers it
            Assert.Equal("ignored", again.Outcome);
            await UntilStockEventAsync(socket, 0, timeout.Token);

            // A cancel gives the unit back to the order's bucket; the next order of that bucket takes it.
            using (var cancel = await Api.PostAsJsonAsync($"/cancel/{sold[1].OrderId}", new { userId = "buyer" }))
            {
                Assert.Equal(HttpStatusCode.OK, cancel.StatusCode);
            }
            Assert.Equal(new long[] { 0, 0, 0, 1 }, await Task.WhenAll(buckets.Select(BucketStockAsync)));
            Assert.Equal(1, await StockAsync(productId));
            await UntilStockEventAsync(socket, 1, timeout.Token);
            Assert.True((await _shop.OrderAsync(productId, keys[4], "next")).Accepted);

            var report = await _shop.UntilInvariantsHoldAsync(productId);
            Assert.Equal(4, report.GetProperty("accepted").GetInt64());
            Assert.Equal(1, report.GetProperty("cancelled").GetInt64());
            Assert.Equal(3, report.GetProperty("persisted").GetInt64());
            Assert.Equal(3, report.GetProperty("stockTaken").GetInt64());
            Assert.Equal(0, report.GetProperty("inTransit").GetInt64());
            await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", timeout.Token);
        });

    [Fact]
    public Task A_move_between_buckets_that_its_api_left_unfinished_is_completed_by_the_reconciler() =>
        graph.WithLogsOnFailureAsync(output, async () =>
        {
            var productId = Shop.NewProduct("moving");
            await InitAsync(productId, 10, 2);
            var buckets = StockBuckets.Of(productId, 2);

            // An api took 3 units from bucket 1 for bucket 0 and stopped before handing them over.
            var given = (RedisResult[])(await new GateScripts().StockGive.EvaluateAsync(graph.Redis.GetDatabase(),
                [RedisKeys.Stock(buckets[1]), RedisKeys.Ledger(buckets[1]), RedisKeys.Transfers(buckets[1]), RedisKeys.KeysUntil(buckets[1])],
                [3, Guid.NewGuid().ToString("N"), buckets[0], 2]))!;
            Assert.Equal(3, (long)given[0]);
            var moving = await _shop.InvariantsAsync(productId);
            Assert.True(moving.GetProperty("inTransit").GetInt64() is 0 or 3, moving.ToString()); // 0 if the reconciler was quick

            var report = await _shop.UntilInvariantsHoldAsync(productId);
            Assert.Equal(0, report.GetProperty("inTransit").GetInt64());
            Assert.Equal(10, report.GetProperty("stock").GetInt64());
            Assert.Equal(10, await StockAsync(productId));
            Assert.Equal(new long[] { 8, 2 }, await Task.WhenAll(buckets.Select(BucketStockAsync)));
            Assert.Equal(0, await graph.Redis.GetDatabase().HashLengthAsync(RedisKeys.Transfers(buckets[1])));
        });

    [Fact]
    public Task A_split_product_whose_first_bucket_was_lost_is_restored_as_one_bucket_from_postgres() =>
        graph.WithLogsOnFailureAsync(output, async () =>
        {
            var productId = Shop.NewProduct("restore-split");
            await InitAsync(productId, 10, 2);
            var buckets = StockBuckets.Of(productId, 2);
            var keys = new[] { 0, 0, 1, 1 }.Select((bucket, i) => Enumerable.Range(0, int.MaxValue).Select(n => $"{productId}-{i}-{n}")
                .First(key => StockBuckets.IndexOf(key, 2) == bucket)).ToList();
            var orders = new List<OrderAttempt>();
            foreach (var key in keys)
            {
                orders.Add(await _shop.OrderAsync(productId, key, "buyer"));
            }
            Assert.All(orders, order => Assert.True(order.Accepted, order.ToString()));
            await _shop.UntilInvariantsHoldAsync(productId);

            // The master of bucket 0 loses the product's keys (bucket 1's master keeps its own).
            var master = graph.Redis.GetServer((RedisKey)RedisKeys.Stock(productId));
            await foreach (var key in master.KeysAsync(pattern: $"fg:{{{productId}}}:*"))
            {
                await graph.Redis.GetDatabase().KeyDeleteAsync(key);
            }

            using (var restore = await Api.PostAsync($"/admin/restore/{productId}", null))
            {
                var body = await restore.Content.ReadAsStringAsync();
                output.WriteLine(body);
                Assert.Equal(HttpStatusCode.OK, restore.StatusCode);
                var restored = JsonDocument.Parse(body).RootElement;
                Assert.Equal(6, restored.GetProperty("stock").GetInt64());
                Assert.Equal(4, restored.GetProperty("keys").GetInt32());
            }

            // One bucket with all of PostgreSQL's stock; the other emptied and told so.
            Assert.Equal(new long[] { 6, 0 }, await Task.WhenAll(buckets.Select(BucketStockAsync)));
            Assert.Equal(1, (int)await graph.Redis.GetDatabase().HashGetAsync(RedisKeys.Ledger(buckets[1]), StockBuckets.CountField));
            for (var i = 0; i < orders.Count; i++)
            {
                var replay = await _shop.OrderAsync(productId, keys[i], "buyer");
                Assert.Equal("ignored", replay.Outcome);
                Assert.Equal(orders[i].OrderId, replay.OrderId);
            }
            Assert.True((await _shop.OrderAsync(productId, $"{productId}-after", "next")).Accepted);
            Assert.Equal(5, await StockAsync(productId));

            var report = await _shop.UntilInvariantsHoldAsync(productId);
            Assert.Equal(1, report.GetProperty("stockBuckets").GetInt32());
            Assert.Equal(5, report.GetProperty("persisted").GetInt64());
            Assert.Empty(await _shop.KeysOrderedTwiceAsync(productId));
        });

    private async Task InitAsync(string productId, int quantity, int stockBuckets)
    {
        using var init = await Api.PostAsJsonAsync("/init", new { productId, quantity, stockBuckets });
        Assert.Equal(HttpStatusCode.OK, init.StatusCode);
        Assert.Equal($$"""{"status":"ok","msg":"Stock initialized for {{productId}} to {{quantity}}"}""", await init.Content.ReadAsStringAsync());
    }

    private List<string> Masters(string[] buckets)
    {
        var masters = buckets.Select(bucket => graph.Redis.GetServer((RedisKey)RedisKeys.Stock(bucket)).EndPoint.ToString()!).Distinct().ToList();
        output.WriteLine($"{string.Join(", ", buckets)} on {string.Join(", ", masters)}");
        return masters;
    }

    private async Task<long> BucketStockAsync(string bucket) => (long)await graph.Redis.GetDatabase().StringGetAsync(RedisKeys.Stock(bucket));

    private async Task<long> StockAsync(string productId) =>
        (await Api.GetFromJsonAsync<JsonElement>($"/inventory/{productId}")).GetProperty("stock").GetInt64();

    private static async Task UntilStockEventAsync(ClientWebSocket socket, long stock, CancellationToken cancellationToken)
    {
        while ((await ClusterEndToEndTests.ReceiveAsync(socket, cancellationToken)).GetProperty("stock").GetInt64() != stock)
        {
        }
    }
}
