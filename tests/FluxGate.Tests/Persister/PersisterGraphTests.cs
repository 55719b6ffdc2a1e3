using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using FluxGate.Api.Redis;
using FluxGate.AppHost;
using FluxGate.Contracts;
using FluxGate.Tests.Infrastructure;
using Npgsql;
using StackExchange.Redis;
using Xunit.Abstractions;

namespace FluxGate.Tests.Persister;

/// <summary>
/// The persister as its own process in the whole graph the AppHost starts: events from Kafka (produced here, or by the api) land
/// in PostgreSQL exactly once through a kill, a database outage, a poison message and a second member joining.
/// Each test uses products of its own, since the graph and its database are shared by the collection.
/// </summary>
[Collection(GraphCollection.Name)]
public sealed class PersisterGraphTests(GraphFixture graph, ITestOutputHelper output) : IAsyncLifetime
{
    private const int InitialStock = 100_000;
    private readonly string[] _products = Enumerable.Range(0, 8).Select(i => $"pe2e-{Guid.NewGuid().ToString("N")[..10]}-{i}").ToArray();
    private NpgsqlDataSource _database = null!;
    private OrderProducer _producer = null!;

    public Task InitializeAsync()
    {
        _database = NpgsqlDataSource.Create(graph.App.GetConnectionString("fluxgate"));
        _producer = new OrderProducer(graph.App.GetConnectionString("kafka"));
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        _producer.Dispose();
        await _database.DisposeAsync();
    }

    [Fact]
    public Task The_persister_is_ready_with_kafka_postgres_and_its_consumer_loop() =>
        graph.WithLogsOnFailureAsync(output, async () =>
        {
            using var persister = graph.App.CreateHttpClient(ResourceNames.Persister);

            var health = await Eventually.UntilAsync(() => GraphFixture.ReadHealthAsync(persister),
                report => report.Status == HttpStatusCode.OK && report.Checks.GetValueOrDefault("consumer") == "Healthy", "the persister is ready");

            Assert.Equal("Healthy", health.Checks["kafka"]);
            Assert.Equal("Healthy", health.Checks["fluxgate"]);
        });

    [Fact]
    public Task Killing_the_persister_mid_flow_and_restarting_it_loses_and_duplicates_nothing() =>
        graph.WithLogsOnFailureAsync(output, async () =>
        {
            var orders = await ProduceInitsAsync();
            var stream = OrderStream.Start(_producer, _products);
            try
            {
                await UntilOrdersLandAsync(atLeast: 200);

                await graph.App.KillResourceAsync(ResourceNames.Persister);
                await stream.UntilProducedAsync(more: 100); // a backlog builds up while it is dead
                await graph.App.StartResourceAsync(ResourceNames.Persister);
                var rowsAfterRestart = await OrderCountAsync();
                await UntilOrdersLandAsync(atLeast: rowsAfterRestart + 200);
            }
            finally
            {
                Add(orders, await stream.StopAsync());
                await graph.WaitUntilHealthyAsync();
            }

            await AssertExactlyOnceAsync(orders);
        });

    [Fact]
    public Task Stopping_and_starting_postgres_under_load_loses_nothing() =>
        graph.WithLogsOnFailureAsync(output, async () =>
        {
            var orders = await ProduceInitsAsync();
            var stream = OrderStream.Start(_producer, _products);
            using var persister = graph.App.CreateHttpClient(ResourceNames.Persister);
            try
            {
                await UntilOrdersLandAsync(atLeast: 200);

                await graph.App.StopResourceAsync(ResourceNames.Postgres);
                await Eventually.UntilAsync(() => GraphFixture.ReadHealthAsync(persister),
                    report => report.Status == HttpStatusCode.ServiceUnavailable && report.Checks.GetValueOrDefault("fluxgate") == "Unhealthy",
                    "the persister reports PostgreSQL down");
                await stream.UntilProducedAsync(more: 200);
                await Eventually.UntilAsync(() => Task.FromResult(graph.RecentLogs(2000)),
                    logs => logs.Split('\n').Any(line => line.Contains("[persister]") && line.Contains("retrying in")),
                    "the persister retries a batch with consumption paused");
                await graph.App.StartResourceAsync(ResourceNames.Postgres);

                var rowsAfterOutage = await Eventually.UntilAsync(OrderCountAsync, _ => true, "PostgreSQL answers again");
                await UntilOrdersLandAsync(atLeast: rowsAfterOutage + 200);
            }
            finally
            {
                Add(orders, await stream.StopAsync());
                if (!graph.App.IsRunning(ResourceNames.Postgres))
                {
                    await graph.App.StartResourceAsync(ResourceNames.Postgres);
                }
                await graph.WaitUntilHealthyAsync();
            }

            await AssertExactlyOnceAsync(orders);
        });

    [Fact]
    public Task A_poison_message_lands_in_dead_letters_while_later_orders_persist() =>
        graph.WithLogsOnFailureAsync(output, async () =>
        {
            var product = _products[0];
            var key = System.Text.Encoding.UTF8.GetBytes(product);
            await _producer.ProduceAsync(OrderProducer.Init(product, 10));
            var poison = await _producer.ProduceRawAsync(key, "{\"type\":\"OrderAccepted\",\"productId\":\"oops"u8.ToArray());
            var unknownType = await _producer.ProduceRawAsync(key, System.Text.Encoding.UTF8.GetBytes($"{{\"type\":\"OrderShipped\",\"productId\":\"{product}\"}}"));
            await _producer.ProduceAllAsync(Enumerable.Range(0, 5).Select(_ => OrderProducer.Order(product)));

            await Eventually.UntilAsync(() => _database.OrderCountAsync(product), count => count == 5, "the orders after the poison persist");
            Assert.Equal((5, 10), await _database.ProductAsync(product));
            foreach (var deadLetter in new[] { poison, unknownType })
            {
                var error = await _database.ScalarAsync<string>(
                    """SELECT error FROM dead_letters WHERE topic = $1 AND "partition" = $2 AND "offset" = $3""",
                    Topics.Orders, deadLetter.Partition.Value, deadLetter.Offset.Value);
                Assert.Contains("Not an order event", error);
            }
        });

    [Fact]
    public Task A_second_persister_joining_the_group_shares_the_partitions_and_everything_lands_once() =>
        graph.WithLogsOnFailureAsync(output, async () =>
        {
            using var persister = graph.App.CreateHttpClient(ResourceNames.Persister);
            var orders = await ProduceInitsAsync();
            var stream = OrderStream.Start(_producer, _products);
            try
            {
                await UntilOrdersLandAsync(atLeast: 100);
                await using (var second = await InProcessPersister.StartAsync(
                                 graph.App.GetConnectionString("kafka"), graph.App.GetConnectionString("fluxgate"), output, "second"))
                {
                    await Eventually.UntilAsync(async () => (await AssignedPartitionsAsync(persister), second.State.AssignedPartitions),
                        owned => owned is { Item1: > 0, Item2: > 0 } && owned.Item1 + owned.Item2 == 6,
                        "the persister process and the second member share the six partitions");
                    var rowsWhenShared = await OrderCountAsync();
                    await UntilOrdersLandAsync(atLeast: rowsWhenShared + 200);
                }
                await Eventually.UntilAsync(() => AssignedPartitionsAsync(persister), owned => owned == 6,
                    "the persister process takes every partition back");
                var rowsWhenAlone = await OrderCountAsync();
                await UntilOrdersLandAsync(atLeast: rowsWhenAlone + 200);
            }
            finally
            {
                Add(orders, await stream.StopAsync());
            }

            await AssertExactlyOnceAsync(orders);
        });

    [Fact]
    public Task Concurrent_orders_through_the_api_land_exactly_and_the_database_stock_matches_redis() =>
        graph.WithLogsOnFailureAsync(output, async () =>
        {
            const int stock = 40;
            const int attempts = 150;
            var product = _products[0];
            using var api = graph.App.CreateHttpClient(ResourceNames.Api);
            using (var init = await api.PostAsJsonAsync("/init", new { productId = product, quantity = stock }))
            {
                Assert.Equal(HttpStatusCode.OK, init.StatusCode);
            }

            var answers = await Task.WhenAll(Enumerable.Range(0, attempts).Select(i => PlaceOrderAsync(api, product, $"user-{i}")));
            var accepted = answers.Where(answer => answer.Status == HttpStatusCode.OK).ToDictionary(answer => answer.OrderId!.Value, answer => answer.UserId);
            output.WriteLine(string.Join(", ", answers.GroupBy(answer => answer.Status).Select(group => $"{(int)group.Key}: {group.Count()}")));
            Assert.All(answers, answer => Assert.Contains(answer.Status, new[] { HttpStatusCode.OK, HttpStatusCode.Conflict, HttpStatusCode.Found }));
            Assert.InRange(accepted.Count, 1, stock);

            // One accepted order is cancelled through the api: the persister marks it and gives the unit back.
            var (cancelledId, cancelledUser) = accepted.First();
            using (var cancel = await api.PostAsJsonAsync($"/cancel/{cancelledId}", new { userId = cancelledUser }))
            {
                Assert.Equal(HttpStatusCode.OK, cancel.StatusCode);
            }

            await Eventually.UntilAsync(() => _database.ScalarAsync<string?>("SELECT status FROM orders WHERE id = $1", cancelledId),
                status => status == "cancelled", "the cancel reaches the orders table");
            var persisted = await Eventually.UntilAsync(() => OrderIdsAsync(product), ids => ids.Count == accepted.Count,
                $"the {accepted.Count} accepted orders are in the orders table");
            Assert.Equal(accepted.Keys.Order(), persisted.Order());

            var redis = await ConnectionMultiplexer.ConnectAsync(graph.App.GetConnectionString("redis"));
            await using (redis)
            {
                var redisStock = (int)await redis.GetDatabase().StringGetAsync(RedisKeys.Stock(product));
                Assert.Equal(stock - accepted.Count + 1, redisStock);
                await Eventually.UntilAsync(() => _database.ProductAsync(product), row => row == (redisStock, stock),
                    $"products.stock equals the Redis stock ({redisStock})");
            }
        });

    private async Task<Dictionary<string, int>> ProduceInitsAsync()
    {
        await _producer.ProduceAllAsync(_products.Select(product => OrderProducer.Init(product, InitialStock)));
        return _products.ToDictionary(product => product, _ => 0);
    }

    private static void Add(Dictionary<string, int> orders, Dictionary<string, int> more)
    {
        foreach (var (product, count) in more)
        {
            orders[product] += count;
        }
    }

    private Task<long> OrderCountAsync() =>
        _database.ScalarAsync<long>("SELECT count(*) FROM orders WHERE product_id = ANY($1)", (object)_products);

    private Task<long> UntilOrdersLandAsync(long atLeast) =>
        Eventually.UntilAsync(OrderCountAsync, count => count >= atLeast, $"at least {atLeast} of this test's orders are persisted");

    private async Task<List<Guid>> OrderIdsAsync(string product)
    {
        await using var command = _database.CreateCommand("SELECT id FROM orders WHERE product_id = $1");
        command.Parameters.Add(new NpgsqlParameter { Value = product });
        await using var reader = await command.ExecuteReaderAsync();
        var ids = new List<Guid>();
        while (await reader.ReadAsync())
        {
            ids.Add(reader.GetGuid(0));
        }
        return ids;
    }

    /// <summary>Every acknowledged order is in the table, and each took exactly one unit.</summary>
    private async Task AssertExactlyOnceAsync(Dictionary<string, int> orders)
    {
        var total = orders.Values.Sum();
        await Eventually.UntilAsync(OrderCountAsync, count => count == total, $"all {total} orders are persisted");
        foreach (var (product, count) in orders)
        {
            await Eventually.UntilAsync(() => _database.ProductAsync(product), row => row == (InitialStock - count, InitialStock),
                $"{product}'s stock is {InitialStock} - {count}");
        }
        Assert.Equal(0L, await _database.ScalarAsync<long>(
            "SELECT count(*) FROM dead_letters WHERE convert_from(key, 'UTF8') = ANY($1)", (object)_products));
    }

    /// <summary>Read from the persister's /health: "Consuming N partition(s)." (descriptions show in Development).</summary>
    private static async Task<int> AssignedPartitionsAsync(HttpClient persister)
    {
        var report = await GraphFixture.ReadHealthAsync(persister);
        using var json = JsonDocument.Parse(report.Body);
        var description = json.RootElement.GetProperty("checks").GetProperty("consumer").GetProperty("description").GetString() ?? "";
        return description.StartsWith("Consuming ", StringComparison.Ordinal) ? int.Parse(description.Split(' ')[1]) : -1;
    }

    private static async Task<OrderAnswer> PlaceOrderAsync(HttpClient api, string product, string userId)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/order") { Content = JsonContent.Create(new { productId = product, userId }) };
        request.Headers.Add("x-idempotency-key", Guid.NewGuid().ToString("N"));
        using var response = await api.SendAsync(request);
        Guid? orderId = null;
        if (response.StatusCode == HttpStatusCode.OK)
        {
            using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            Assert.Equal("success", body.RootElement.GetProperty("status").GetString());
            orderId = body.RootElement.GetProperty("orderId").GetGuid();
        }
        return new OrderAnswer(response.StatusCode, orderId, userId);
    }

    private sealed record OrderAnswer(HttpStatusCode Status, Guid? OrderId, string UserId);
}
