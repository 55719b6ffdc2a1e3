using System.Net;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text.Json;
using FluxGate.Api.Redis;
using FluxGate.Tests.Infrastructure;
using FluxGate.Tests.Recovery;
using FluxGate.Tests.WaitingRoom;
using StackExchange.Redis;
using Xunit.Abstractions;

namespace FluxGate.Tests.Cluster;

/// <summary>
/// The spec's contract end to end through the api, with <c>redis</c> a Redis Cluster of three masters: that the cluster
/// is real (one cluster, products spread over its nodes), the order path row by row, and a concurrent burst per node
/// that sells exactly the stock, with the product's books checked after it.
/// </summary>
[Collection(ClusterGraphCollection.Name)]
public sealed class ClusterEndToEndTests(ClusterGraphFixture graph, ITestOutputHelper output) : IDisposable
{
    private readonly Shop _shop = new(graph.App, output);

    private HttpClient Api => _shop.Api;

    public void Dispose() => _shop.Dispose();

    [Fact]
    public Task The_three_masters_are_one_cluster() => graph.WithLogsOnFailureAsync(output, async () =>
    {
        var nodes = graph.App.GetConnectionString("redis").Split(',');
        Assert.Equal(3, nodes.Length);
        Assert.Equal(3, nodes.Distinct().Count());

        foreach (var node in nodes)
        {
            // Each node on its own, not through the cluster-aware connection: what that node itself says.
            await using var single = await ConnectionMultiplexer.ConnectAsync($"{node},allowAdmin=true");
            var server = single.GetServer(node);
            Assert.Equal(ServerType.Cluster, server.ServerType);
            Assert.False(server.IsReplica);
            var info = ClusterInfo((await server.ExecuteAsync("CLUSTER", "INFO")).ToString(out _));
            output.WriteLine($"{node}: {string.Join(' ', info.Select(field => $"{field.Key}:{field.Value}"))}");
            Assert.Equal("ok", info["cluster_state"]);
            Assert.Equal("3", info["cluster_known_nodes"]);
            Assert.Equal("3", info["cluster_size"]); // masters serving slots
            Assert.Equal("16384", info["cluster_slots_assigned"]);
            Assert.Equal("16384", info["cluster_slots_ok"]);
        }

        // Every master holds a share of the slots: the connection sees three primaries.
        var primaries = graph.Redis.GetServers().Where(server => !server.IsReplica).Select(server => server.EndPoint.ToString()).ToList();
        Assert.Equal(3, primaries.Count);
    });

    [Fact]
    public Task A_products_keys_stay_on_one_node_and_different_products_land_on_different_nodes() =>
        graph.WithLogsOnFailureAsync(output, async () =>
        {
            var products = ProductPerNode("spread");
            foreach (var (node, productId) in products)
            {
                await _shop.InitAsync(productId, 5);
                var attempt = await _shop.OrderAsync(productId, Guid.NewGuid().ToString());
                Assert.True(attempt.Accepted, attempt.ToString());
            }

            // Where the keys really are: SCAN on each node lists only that node's keys.
            foreach (var (node, productId) in products)
            {
                var placement = new Dictionary<string, List<string>>();
                foreach (var server in graph.Redis.GetServers().Where(server => !server.IsReplica))
                {
                    var keys = new List<string>();
                    await foreach (var key in server.KeysAsync(pattern: $"fg:{{{productId}}}:*"))
                    {
                        keys.Add(key!);
                    }
                    placement[server.EndPoint.ToString()!] = keys;
                }
                output.WriteLine($"{productId}: {string.Join("; ", placement.Select(entry => $"{entry.Key} {entry.Value.Count} key(s)"))}");
                var holders = placement.Where(entry => entry.Value.Count > 0).Select(entry => entry.Key).ToList();
                Assert.Equal(new[] { node }, holders);
                Assert.Contains(RedisKeys.Stock(productId), placement[node]);
                Assert.Contains(RedisKeys.Ledger(productId), placement[node]);
                Assert.True(placement[node].Count >= 3, $"{productId}: stock, ledger and the order's key on {node}: {string.Join(", ", placement[node])}");
            }
        });

    [Fact]
    public Task The_spec_flow_init_success_duplicate_sold_out_inventory_status_and_cancel() =>
        graph.WithLogsOnFailureAsync(output, async () =>
        {
            var productId = Shop.NewProduct("cluster-flow");
            using (var init = await Api.PostAsJsonAsync("/init", new { productId, quantity = 2 }))
            {
                Assert.Equal(HttpStatusCode.OK, init.StatusCode);
                Assert.Equal($$"""{"status":"ok","msg":"Stock initialized for {{productId}} to 2"}""", await init.Content.ReadAsStringAsync());
            }
            Assert.Equal(2, await StockAsync(productId));

            var key = Guid.NewGuid().ToString();
            using var accepted = await OrderAsync(productId, key, "owner");
            Assert.Equal(HttpStatusCode.OK, accepted.StatusCode);
            var acceptedBody = await JsonAsync(accepted);
            Assert.Equal("success", acceptedBody.GetProperty("status").GetString());
            Assert.Equal("Order accepted", acceptedBody.GetProperty("msg").GetString());
            var orderId = acceptedBody.GetProperty("orderId").GetGuid();

            using var duplicate = await OrderAsync(productId, key, "owner");
            Assert.Equal(HttpStatusCode.OK, duplicate.StatusCode);
            var duplicateBody = await JsonAsync(duplicate);
            Assert.Equal("ignored", duplicateBody.GetProperty("status").GetString());
            Assert.Equal("Duplicate request", duplicateBody.GetProperty("msg").GetString());
            Assert.Equal(orderId, duplicateBody.GetProperty("orderId").GetGuid());
            Assert.Equal(1, await StockAsync(productId));

            using var second = await OrderAsync(productId, Guid.NewGuid().ToString(), "someone");
            Assert.Equal(HttpStatusCode.OK, second.StatusCode);
            using var soldOut = await OrderAsync(productId, Guid.NewGuid().ToString(), "late");
            Assert.Equal(HttpStatusCode.Conflict, soldOut.StatusCode);
            Assert.Equal("""{"status":"sold_out","msg":"Inventory empty"}""", await soldOut.Content.ReadAsStringAsync());
            var inventory = await Api.GetFromJsonAsync<JsonElement>($"/inventory/{productId}");
            Assert.Equal(productId, inventory.GetProperty("productId").GetString());
            Assert.Equal(0, inventory.GetProperty("stock").GetInt64());

            var status = await Api.GetFromJsonAsync<JsonElement>($"/status/{orderId}");
            Assert.Equal("accepted", status.GetProperty("status").GetString());
            Assert.Equal(productId, status.GetProperty("productId").GetString());

            using var notOwner = await Api.PostAsJsonAsync($"/cancel/{orderId}", new { userId = "somebody-else" });
            Assert.Equal(HttpStatusCode.Forbidden, notOwner.StatusCode);
            using var cancelled = await Api.PostAsJsonAsync($"/cancel/{orderId}", new { userId = "owner" });
            Assert.Equal(HttpStatusCode.OK, cancelled.StatusCode);
            Assert.Equal("cancelled", (await JsonAsync(cancelled)).GetProperty("status").GetString());
            Assert.Equal(1, await StockAsync(productId));
            using var again = await Api.PostAsJsonAsync($"/cancel/{orderId}", new { userId = "owner" });
            Assert.Equal(HttpStatusCode.OK, again.StatusCode);
            Assert.Equal("ignored", (await JsonAsync(again)).GetProperty("status").GetString());
            Assert.Equal(1, await StockAsync(productId));

            // The returned unit sells again; then the books agree: 2 accepted, 1 cancelled, 1 held.
            using var resold = await OrderAsync(productId, Guid.NewGuid().ToString(), "third");
            Assert.Equal(HttpStatusCode.OK, resold.StatusCode);
            var report = await _shop.UntilInvariantsHoldAsync(productId);
            Assert.Equal(3, report.GetProperty("accepted").GetInt64());
            Assert.Equal(1, report.GetProperty("cancelled").GetInt64());
            Assert.Equal(2, report.GetProperty("persisted").GetInt64());
            Assert.Equal(2, report.GetProperty("stockTaken").GetInt64());
        });

    [Fact]
    public Task Concurrent_orders_on_a_product_per_node_sell_exactly_the_stock_and_the_books_agree() =>
        graph.WithLogsOnFailureAsync(output, async () =>
        {
            const int stock = 50, orders = 200;
            var products = ProductPerNode("cluster-burst").Values.ToList();
            foreach (var productId in products)
            {
                await _shop.InitAsync(productId, stock);
            }

            // Every product's burst at once: the three nodes decide side by side.
            var attempts = await Task.WhenAll(products.SelectMany(productId => Enumerable.Range(0, orders).Select(i =>
                Shop.OrderAsync(Api, productId, $"{productId}-{i}", $"user-{i}").ContinueWith(task => (productId, task.Result), TaskScheduler.Default))));

            foreach (var productId in products)
            {
                var own = attempts.Where(attempt => attempt.productId == productId).Select(attempt => attempt.Result).ToList();
                var outcomes = own.GroupBy(attempt => $"{(int?)attempt.Status} {attempt.Outcome ?? attempt.Error}")
                    .ToDictionary(group => group.Key, group => group.Count());
                output.WriteLine($"{productId}: {string.Join(", ", outcomes.Select(outcome => $"{outcome.Key} ×{outcome.Value}"))}");
                Assert.Equal(stock, own.Count(attempt => attempt.Accepted));
                Assert.Equal(orders - stock, own.Count(attempt => attempt.Status == HttpStatusCode.Conflict && attempt.Outcome == "sold_out"));
                Assert.Equal(stock, own.Where(attempt => attempt.Accepted).Select(attempt => attempt.OrderId).Distinct().Count());
                Assert.Equal(0, await StockAsync(productId));
            }

            foreach (var productId in products)
            {
                var report = await _shop.UntilInvariantsHoldAsync(productId);
                Assert.Equal(stock, report.GetProperty("accepted").GetInt64());
                Assert.Equal(stock, report.GetProperty("persisted").GetInt64());
                Assert.Equal(stock, report.GetProperty("stockTaken").GetInt64());
                Assert.Equal(0, report.GetProperty("stock").GetInt64());
                Assert.Empty(await _shop.KeysOrderedTwiceAsync(productId));
            }
        });

    [Fact]
    public Task The_waiting_room_queues_shoppers_on_the_cluster() => graph.WithLogsOnFailureAsync(output, async () =>
    {
        await using var shop = new ShopDriver(graph.App);
        var productId = await shop.NewProductAsync(10);

        var (firstStatus, first) = await shop.JoinAsync(productId, "user-a", Guid.NewGuid().ToString());
        Assert.True(firstStatus == HttpStatusCode.OK, $"{(int)firstStatus} {first}");
        var (secondStatus, second) = await shop.JoinAsync(productId, "user-b", Guid.NewGuid().ToString());
        Assert.Equal(HttpStatusCode.OK, secondStatus);
        Assert.Equal(first.GetProperty("ticketNumber").GetInt64() + 1, second.GetProperty("ticketNumber").GetInt64());

        var (ticketStatus, ticket) = await shop.TicketAsync(productId, first.GetProperty("ticket").GetString()!);
        Assert.Equal(HttpStatusCode.OK, ticketStatus);
        Assert.Contains(ticket.GetProperty("status").GetString(), new[] { "waiting", "served" });
    });

    [Fact]
    public Task The_events_socket_streams_products_on_different_nodes() => graph.WithLogsOnFailureAsync(output, async () =>
    {
        var products = ProductPerNode("cluster-events").Values.Take(2).ToList();
        foreach (var productId in products)
        {
            await _shop.InitAsync(productId, 5);
        }
        using var socket = new ClientWebSocket();
        var endpoint = new UriBuilder(graph.App.GetEndpoint("api")) { Scheme = "ws", Path = "/events", Query = $"productId={string.Join(',', products)}" }.Uri;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await socket.ConnectAsync(endpoint, timeout.Token);

        var snapshots = new[] { await ReceiveAsync(socket, timeout.Token), await ReceiveAsync(socket, timeout.Token) };
        Assert.Equal(products.Order(), snapshots.Select(snapshot => snapshot.GetProperty("productId").GetString()).Order());
        Assert.All(snapshots, snapshot => Assert.Equal(5, snapshot.GetProperty("stock").GetInt64()));

        using var order = await OrderAsync(products[1], Guid.NewGuid().ToString(), "watcher");
        Assert.Equal(HttpStatusCode.OK, order.StatusCode);
        var update = await ReceiveAsync(socket, timeout.Token);
        Assert.Equal(products[1], update.GetProperty("productId").GetString());
        Assert.Equal(4, update.GetProperty("stock").GetInt64());
        await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", timeout.Token);
    });

    /// <summary>One message of the <c>/events</c> socket, as JSON.</summary>
    internal static async Task<JsonElement> ReceiveAsync(ClientWebSocket socket, CancellationToken cancellationToken)
    {
        var buffer = new byte[4096];
        var result = await socket.ReceiveAsync(buffer, cancellationToken);
        return JsonDocument.Parse(buffer.AsMemory(0, result.Count)).RootElement.Clone();
    }

    /// <summary>One new product id per master, by where the cluster puts its keys (their hash tag's slot): node → product.</summary>
    private Dictionary<string, string> ProductPerNode(string prefix)
    {
        var products = new Dictionary<string, string>();
        for (var tries = 0; products.Count < 3; tries++)
        {
            Assert.True(tries < 1000, "1000 product ids and not one per node");
            var productId = Shop.NewProduct(prefix);
            products.TryAdd(graph.Redis.GetServer((RedisKey)RedisKeys.Stock(productId)).EndPoint.ToString()!, productId);
        }
        return products;
    }

    private Task<HttpResponseMessage> OrderAsync(string productId, string key, string userId)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/order") { Content = JsonContent.Create(new { productId, userId }) };
        request.Headers.Add("x-idempotency-key", key);
        return Api.SendAsync(request);
    }

    private async Task<long> StockAsync(string productId) =>
        (await Api.GetFromJsonAsync<JsonElement>($"/inventory/{productId}")).GetProperty("stock").GetInt64();

    private static async Task<JsonElement> JsonAsync(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();

    private static Dictionary<string, string> ClusterInfo(string? info) =>
        (info ?? "").Split('\n').Select(line => line.Trim().Split(':', 2)).Where(pair => pair.Length == 2)
            .ToDictionary(pair => pair[0], pair => pair[1]);
}
