using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text.Json;
using FluxGate.Api.Redis;
using FluxGate.AppHost;
using FluxGate.Tests.Infrastructure;
using StackExchange.Redis;
using Xunit.Abstractions;

namespace FluxGate.Tests.Api;

/// <summary>
/// Redis, Kafka and PostgreSQL failing under the whole graph: shoppers get the spec's JSON answers (500 on writes, 503 with
/// Retry-After on reads), an order Kafka has is accepted, and the background loops carry on.
/// </summary>
[Collection(GraphCollection.Name)]
public sealed class DependencyFaultEndToEndTests(GraphFixture graph, ITestOutputHelper output) : IDisposable
{
    /// <summary>
    /// Past the services' Redis timeout: StackExchange.Redis's default of 5 s for synchronous and asynchronous commands
    /// (Aspire's AddRedisClient keeps it), so every command sent during the stall times out.
    /// </summary>
    private static readonly TimeSpan Stall = TimeSpan.FromSeconds(7);

    private readonly HttpClient _api = new(new SocketsHttpHandler { AllowAutoRedirect = false })
    {
        BaseAddress = graph.App.GetEndpoint(ResourceNames.Api),
        Timeout = TimeSpan.FromSeconds(60),
    };

    private readonly HttpClient _room = new() { BaseAddress = graph.App.GetEndpoint(ResourceNames.WaitingRoom), Timeout = TimeSpan.FromSeconds(60) };

    public void Dispose()
    {
        _api.Dispose();
        _room.Dispose();
    }

    [Fact]
    public Task Redis_stalled_past_its_timeout_fails_orders_with_the_spec_500_reads_with_503_and_the_feed_carries_on() =>
        graph.WithLogsOnFailureAsync(output, async () =>
        {
            var productId = NewProduct();
            await InitAsync(productId, 5);
            var ticket = await JoinRoomAsync(productId);
            using var socket = await WatchAsync(productId);
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            Assert.Equal(5, (await ReceiveAsync(socket, timeout.Token)).GetProperty("stock").GetInt64());

            try
            {
                var stalled = Stopwatch.StartNew();
                using (graph.App.Freeze(ResourceNames.Redis))
                {
                    var order = OrderAsync(productId, Guid.NewGuid().ToString());
                    var inventory = _api.GetAsync($"/inventory/{productId}");
                    var poll = _room.GetAsync($"/api/queue/{productId}/tickets/{ticket}");

                    using var failed = await order;
                    await AssertJsonAsync(failed, HttpStatusCode.InternalServerError, """{"status":"error","msg":"Order processing failed"}""");
                    Assert.Null(failed.Headers.RetryAfter);

                    using var unavailable = await inventory;
                    await AssertJsonAsync(unavailable, HttpStatusCode.ServiceUnavailable, """{"status":"error","msg":"Inventory unavailable; retry shortly","retryAfterMs":2000}""");
                    Assert.Equal(TimeSpan.FromSeconds(2), unavailable.Headers.RetryAfter?.Delta);

                    using var roomPoll = await poll;
                    Assert.Equal(HttpStatusCode.ServiceUnavailable, roomPoll.StatusCode);
                    Assert.Equal(TimeSpan.FromSeconds(5), roomPoll.Headers.RetryAfter?.Delta);
                    Assert.Equal("error", (await JsonAsync(roomPoll)).GetProperty("status").GetString());

                    // The feed's poll, waiting on the same Redis, has timed out too: hold the stall past it.
                    await DelayUntil(stalled, Stall);
                }

                // The api is still up (the feed's loop did not take it down), and the socket gets changes again.
                using var accepted = await Eventually.UntilAsync(() => OrderAsync(productId, Guid.NewGuid().ToString()),
                    response => response.StatusCode == HttpStatusCode.OK, "orders are accepted again", TimeSpan.FromSeconds(30));
                JsonElement update;
                do
                {
                    update = await ReceiveAsync(socket, timeout.Token);
                }
                while (update.GetProperty("stock").GetInt64() == 5);
                Assert.InRange(update.GetProperty("stock").GetInt64(), 3, 4);
                using var room = await _room.GetAsync($"/api/queue/{productId}/tickets/{ticket}");
                Assert.Equal(HttpStatusCode.OK, room.StatusCode);
            }
            finally
            {
                await graph.WaitUntilHealthyAsync();
            }
        });

    [Fact]
    public Task An_order_kafka_has_is_accepted_when_redis_stalls_at_the_confirm_and_its_key_never_orders_twice() =>
        graph.WithLogsOnFailureAsync(output, async () =>
        {
            var productId = NewProduct();
            await InitAsync(productId, 5);
            var key = Guid.NewGuid().ToString();
            var kafka = graph.App.Kafka;
            await using var redis = await ConnectionMultiplexer.ConnectAsync(graph.App.GetConnectionString(ResourceNames.Redis));

            try
            {
                // Kafka holds the order back until the decision has been made: the key is held, the unit reserved.
                kafka.StartProduceOutage();
                var order = OrderAsync(productId, key);
                await Eventually.UntilAsync(() => redis.GetDatabase().KeyExistsAsync(RedisKeys.Idempotency(productId, key)),
                    exists => exists, "the order is decided and waits for Kafka", TimeSpan.FromSeconds(10));

                Guid orderId;
                var stalled = Stopwatch.StartNew();
                using (graph.App.Freeze(ResourceNames.Redis))
                {
                    kafka.EndProduceOutage(); // Kafka acknowledges; the confirm then meets the stalled Redis

                    using var response = await order;
                    var body = await AssertJsonAsync(response, HttpStatusCode.OK);
                    Assert.Equal("success", body.GetProperty("status").GetString());
                    Assert.Equal("Order accepted", body.GetProperty("msg").GetString());
                    orderId = body.GetProperty("orderId").GetGuid();
                    await DelayUntil(stalled, Stall);
                }

                // Redis answers again: the same key is the same order, never a second one.

                var duplicate = await Eventually.UntilAsync(() => OrderBodyAsync(productId, key),
                    answer => answer.GetProperty("status").GetString() != "in_progress", "the confirm landed", TimeSpan.FromSeconds(30));
                Assert.Equal("ignored", duplicate.GetProperty("status").GetString());
                Assert.Equal(orderId, duplicate.GetProperty("orderId").GetGuid());
                Assert.Equal(4, (long)await redis.GetDatabase().StringGetAsync(RedisKeys.Stock(productId)));
            }
            finally
            {
                kafka.EndProduceOutage();
                await graph.WaitUntilHealthyAsync();
            }
        });

    [Fact]
    public Task PostgreSQL_stalled_or_stopped_status_answers_503_with_retry_after_and_cancel_the_spec_500() =>
        graph.WithLogsOnFailureAsync(output, async () =>
        {
            var productId = NewProduct();
            await InitAsync(productId, 5);
            using var placed = await OrderAsync(productId, Guid.NewGuid().ToString());
            var orderId = (await AssertJsonAsync(placed, HttpStatusCode.OK)).GetProperty("orderId").GetGuid();

            try
            {
                // Stalled: the lookup gives up after its own 5 s (Npgsql alone took a minute against a stalled server).
                using (graph.App.Freeze(ResourceNames.Postgres))
                {
                    var asked = Stopwatch.StartNew();
                    using var stalled = await _api.GetAsync($"/status/{orderId}");
                    await AssertJsonAsync(stalled, HttpStatusCode.ServiceUnavailable, """{"status":"error","msg":"Order status unavailable; retry shortly","retryAfterMs":2000}""");
                    Assert.Equal(TimeSpan.FromSeconds(2), stalled.Headers.RetryAfter?.Delta);
                    Assert.InRange(asked.Elapsed, TimeSpan.Zero, TimeSpan.FromSeconds(10));
                }

                await graph.App.StopResourceAsync(ResourceNames.Postgres);

                using var status = await _api.GetAsync($"/status/{orderId}");
                await AssertJsonAsync(status, HttpStatusCode.ServiceUnavailable, """{"status":"error","msg":"Order status unavailable; retry shortly","retryAfterMs":2000}""");
                Assert.Equal(TimeSpan.FromSeconds(2), status.Headers.RetryAfter?.Delta);

                using var cancel = await _api.PostAsJsonAsync($"/cancel/{orderId}", new { userId = "user-42" });
                await AssertJsonAsync(cancel, HttpStatusCode.InternalServerError,
                    """{"status":"error","msg":"Cancellation failed; retry with the same request"}""");
            }
            finally
            {
                await graph.App.StartResourceAsync(ResourceNames.Postgres);
                await graph.WaitUntilHealthyAsync();
            }

            using var recovered = await Eventually.UntilAsync(() => _api.GetAsync($"/status/{orderId}"),
                response => response.StatusCode == HttpStatusCode.OK, "the order's status is found again");
        });

    [Fact]
    public Task Kafka_down_init_answers_the_spec_500_and_leaves_the_stock_as_it_was() =>
        graph.WithLogsOnFailureAsync(output, async () =>
        {
            var productId = NewProduct();
            await InitAsync(productId, 5);
            var kafka = graph.App.Kafka;

            kafka.StartProduceOutage();
            try
            {
                using var failed = await _api.PostAsJsonAsync("/init", new { productId, quantity = 9 });
                await AssertJsonAsync(failed, HttpStatusCode.InternalServerError, """{"status":"error","msg":"Stock initialization failed"}""");
            }
            finally
            {
                kafka.EndProduceOutage();
            }

            var inventory = await _api.GetFromJsonAsync<JsonElement>($"/inventory/{productId}");
            Assert.Equal(5, inventory.GetProperty("stock").GetInt64());
        });

    private static string NewProduct() => $"fault-{Guid.NewGuid():N}"[..24];

    private async Task InitAsync(string productId, int quantity)
    {
        using var response = await _api.PostAsJsonAsync("/init", new { productId, quantity });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    private Task<HttpResponseMessage> OrderAsync(string productId, string key)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/order") { Content = JsonContent.Create(new { productId, userId = "user-42" }) };
        request.Headers.Add("x-idempotency-key", key);
        return _api.SendAsync(request);
    }

    private async Task<JsonElement> OrderBodyAsync(string productId, string key)
    {
        using var response = await OrderAsync(productId, key);
        return await JsonAsync(response);
    }

    private async Task<string> JoinRoomAsync(string productId)
    {
        using var response = await _room.PostAsJsonAsync($"/api/queue/{productId}/join", new { });
        return (await AssertJsonAsync(response, HttpStatusCode.OK)).GetProperty("ticket").GetString()!;
    }

    private async Task<ClientWebSocket> WatchAsync(string productId)
    {
        var socket = new ClientWebSocket();
        var endpoint = new UriBuilder(graph.App.GetEndpoint(ResourceNames.Api)) { Scheme = "ws", Path = "/events", Query = $"productId={productId}" }.Uri;
        await socket.ConnectAsync(endpoint, CancellationToken.None);
        return socket;
    }

    private static async Task<JsonElement> ReceiveAsync(ClientWebSocket socket, CancellationToken cancellationToken)
    {
        var buffer = new byte[4096];
        var result = await socket.ReceiveAsync(buffer, cancellationToken);
        return JsonDocument.Parse(buffer.AsMemory(0, result.Count)).RootElement;
    }

    private static async Task<JsonElement> JsonAsync(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;

    /// <summary>The status, a JSON content type and (when given) the exact body; returns the body.</summary>
    private static async Task<JsonElement> AssertJsonAsync(HttpResponseMessage response, HttpStatusCode status, string? body = null)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"expected {(int)status}, got {(int)response.StatusCode}: {text}");
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        if (body is not null)
        {
            Assert.Equal(body, text);
        }
        return JsonDocument.Parse(text).RootElement;
    }

    private static async Task DelayUntil(Stopwatch since, TimeSpan elapsed)
    {
        var rest = elapsed - since.Elapsed;
        if (rest > TimeSpan.Zero)
        {
            await Task.Delay(rest);
        }
    }
}
