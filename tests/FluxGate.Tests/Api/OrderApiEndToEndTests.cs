using System.Net;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using FluxGate.Tests.Infrastructure;
using StackExchange.Redis;

namespace FluxGate.Tests.Api;

/// <summary>The spec's contract, row by row, through the whole graph the AppHost starts.</summary>
[Collection(GraphCollection.Name)]
public sealed class OrderApiEndToEndTests(GraphFixture graph) : IDisposable
{
    private readonly HttpClient _api = new(new SocketsHttpHandler { AllowAutoRedirect = false })
    {
        BaseAddress = graph.App.GetEndpoint("api"),
        Timeout = TimeSpan.FromSeconds(60),
    };

    public void Dispose() => _api.Dispose();

    private static string NewProduct() => $"e2e-{Guid.NewGuid():N}"[..24];

    private async Task InitAsync(string productId, int quantity)
    {
        using var response = await _api.PostAsJsonAsync("/init", new { productId, quantity });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal($$"""{"status":"ok","msg":"Stock initialized for {{productId}} to {{quantity}}"}""", await response.Content.ReadAsStringAsync());
    }

    private Task<HttpResponseMessage> OrderAsync(string productId, string? key, string userId = "user-42")
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/order") { Content = JsonContent.Create(new { productId, userId }) };
        if (key is not null)
        {
            request.Headers.Add("x-idempotency-key", key);
        }
        return _api.SendAsync(request);
    }

    private static async Task<JsonElement> JsonAsync(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;

    private async Task<long> StockAsync(string productId)
    {
        var inventory = await _api.GetFromJsonAsync<JsonElement>($"/inventory/{productId}");
        return inventory.GetProperty("stock").GetInt64();
    }

    [Fact]
    public async Task The_spec_flow_success_duplicate_missing_key_and_sold_out()
    {
        var productId = NewProduct();
        await InitAsync(productId, 1);
        var key = Guid.NewGuid().ToString();

        using var accepted = await OrderAsync(productId, key);
        Assert.Equal(HttpStatusCode.OK, accepted.StatusCode);
        var acceptedBody = await JsonAsync(accepted);
        Assert.Equal("success", acceptedBody.GetProperty("status").GetString());
        Assert.Equal("Order accepted", acceptedBody.GetProperty("msg").GetString());
        var orderId = acceptedBody.GetProperty("orderId").GetGuid();

        using var duplicate = await OrderAsync(productId, key);
        Assert.Equal(HttpStatusCode.OK, duplicate.StatusCode);
        var duplicateBody = await JsonAsync(duplicate);
        Assert.Equal("ignored", duplicateBody.GetProperty("status").GetString());
        Assert.Equal("Duplicate request", duplicateBody.GetProperty("msg").GetString());
        Assert.Equal(orderId, duplicateBody.GetProperty("orderId").GetGuid());

        using var missingKey = await OrderAsync(productId, key: null);
        Assert.Equal(HttpStatusCode.BadRequest, missingKey.StatusCode);
        Assert.Equal("""{"error":"Missing Idempotency Key"}""", await missingKey.Content.ReadAsStringAsync());

        using var soldOut = await OrderAsync(productId, Guid.NewGuid().ToString());
        Assert.Equal(HttpStatusCode.Conflict, soldOut.StatusCode);
        Assert.Equal("""{"status":"sold_out","msg":"Inventory empty"}""", await soldOut.Content.ReadAsStringAsync());
        Assert.Equal(0, await StockAsync(productId));
    }

    [Fact]
    public async Task A_burst_over_the_rate_limit_is_sent_to_the_waiting_room()
    {
        var productId = NewProduct();
        await InitAsync(productId, 10_000);

        var responses = await Task.WhenAll(Enumerable.Range(0, 200).Select(i => OrderAsync(productId, $"burst-{i}", $"user-{i}")));

        var redirects = responses.Where(r => r.StatusCode == HttpStatusCode.Found).ToList();
        Assert.NotEmpty(redirects);
        Assert.All(responses, r => Assert.Contains(r.StatusCode, new[] { HttpStatusCode.OK, HttpStatusCode.Found }));
        var location = redirects[0].Headers.Location!;
        Assert.StartsWith(graph.App.GetEndpoint("waitingroom").ToString().TrimEnd('/'), location.ToString());
        Assert.Contains($"productId={productId}", location.Query);
        Assert.Contains("idempotencyKey=burst-", location.Query);
        // Every accepted order took a unit; no redirected one did.
        Assert.Equal(10_000 - responses.Count(r => r.StatusCode == HttpStatusCode.OK), await StockAsync(productId));
        foreach (var response in responses)
        {
            response.Dispose();
        }
    }

    [Fact]
    public async Task A_kafka_outage_fails_the_order_returns_the_unit_and_the_same_key_succeeds_later()
    {
        var productId = NewProduct();
        await InitAsync(productId, 3);
        var key = Guid.NewGuid().ToString();
        var kafka = graph.App.Kafka;

        kafka.StartProduceOutage();
        try
        {
            using var failed = await OrderAsync(productId, key);
            Assert.Equal(HttpStatusCode.InternalServerError, failed.StatusCode);
            Assert.Equal("""{"status":"error","msg":"Order processing failed"}""", await failed.Content.ReadAsStringAsync());
            Assert.Equal(3, await StockAsync(productId));
        }
        finally
        {
            kafka.EndProduceOutage();
        }

        var recovered = await Eventually.UntilAsync(
            async () => (await OrderAsync(productId, key)).StatusCode,
            status => status == HttpStatusCode.OK,
            "the same key is accepted once Kafka is back");
        Assert.Equal(HttpStatusCode.OK, recovered);
        Assert.Equal(2, await StockAsync(productId));
    }

    [Fact]
    public async Task A_key_whose_first_request_is_in_flight_answers_429_in_progress()
    {
        var productId = NewProduct();
        await InitAsync(productId, 5);
        var key = Guid.NewGuid().ToString();
        var kafka = graph.App.Kafka;
        await using var redis = await ConnectionMultiplexer.ConnectAsync(graph.App.GetConnectionString("redis"));

        kafka.StartProduceOutage();
        try
        {
            var first = OrderAsync(productId, key);
            await Eventually.UntilAsync(
                () => redis.GetDatabase().KeyExistsAsync($"fg:{{{productId}}}:idem:{key}"),
                exists => exists,
                "the first request holds the key");

            using var second = await OrderAsync(productId, key);
            Assert.Equal(HttpStatusCode.TooManyRequests, second.StatusCode);
            Assert.Equal("1", second.Headers.RetryAfter?.ToString());
            Assert.Equal("in_progress", (await JsonAsync(second)).GetProperty("status").GetString());

            using var firstResponse = await first;
            Assert.Equal(HttpStatusCode.InternalServerError, firstResponse.StatusCode);
        }
        finally
        {
            kafka.EndProduceOutage();
        }
    }

    [Theory]
    [InlineData("text/plain", """{"productId":"p","userId":"u"}""", 415, "Content-Type must be application/json")]
    [InlineData("application/json", """{"productId":"p",""", 400, "Request body is not valid JSON")]
    [InlineData("application/json", """{"productId":7,"userId":"u"}""", 400, "productId must be a string")]
    [InlineData("application/json", """{"userId":"u"}""", 400, "productId is required")]
    [InlineData("application/json", "", 400, "Request body is empty; send a JSON object")]
    public async Task Bad_input_gets_a_clear_4xx(string contentType, string body, int status, string error)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/order") { Content = new StringContent(body, Encoding.UTF8, contentType) };
        request.Headers.Add("x-idempotency-key", Guid.NewGuid().ToString());

        using var response = await _api.SendAsync(request);

        Assert.Equal(status, (int)response.StatusCode);
        Assert.Equal(error, (await JsonAsync(response)).GetProperty("error").GetString());
    }

    [Fact]
    public async Task Oversized_bodies_and_keys_are_refused_before_redis()
    {
        using var large = new HttpRequestMessage(HttpMethod.Post, "/order")
        {
            Content = new StringContent($$"""{"productId":"p","userId":"{{new string('u', 20_000)}}"}""", Encoding.UTF8, "application/json"),
        };
        large.Headers.Add("x-idempotency-key", "k");
        using var tooLarge = await _api.SendAsync(large);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, tooLarge.StatusCode);
        // Answered unread, past what Kestrel drains: the connection is said to close, so the next request takes a new one.
        Assert.True(tooLarge.Headers.ConnectionClose);

        using var longKey = await OrderAsync("p", new string('k', 129));
        Assert.Equal(HttpStatusCode.BadRequest, longKey.StatusCode);
    }

    [Fact]
    public async Task A_product_never_initialized_is_sold_out()
    {
        using var response = await OrderAsync(NewProduct(), Guid.NewGuid().ToString());

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Equal("""{"status":"sold_out","msg":"Inventory empty"}""", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Init_validates_its_input()
    {
        using var negative = await _api.PostAsJsonAsync("/init", new { productId = "p", quantity = -5 });
        Assert.Equal(HttpStatusCode.BadRequest, negative.StatusCode);
        Assert.StartsWith("quantity must be a non-negative integer", (await JsonAsync(negative)).GetProperty("error").GetString());
    }

    [Fact]
    public async Task Status_and_cancel_follow_an_order_and_return_its_unit_once()
    {
        var productId = NewProduct();
        await InitAsync(productId, 2);
        using var accepted = await OrderAsync(productId, Guid.NewGuid().ToString(), "owner");
        var orderId = (await JsonAsync(accepted)).GetProperty("orderId").GetGuid();

        var status = await _api.GetFromJsonAsync<JsonElement>($"/status/{orderId}");
        Assert.Equal("accepted", status.GetProperty("status").GetString());
        Assert.Equal(productId, status.GetProperty("productId").GetString());

        using var notOwner = await _api.PostAsJsonAsync($"/cancel/{orderId}", new { userId = "somebody-else" });
        Assert.Equal(HttpStatusCode.Forbidden, notOwner.StatusCode);

        using var cancelled = await _api.PostAsJsonAsync($"/cancel/{orderId}", new { userId = "owner" });
        Assert.Equal(HttpStatusCode.OK, cancelled.StatusCode);
        Assert.Equal("cancelled", (await JsonAsync(cancelled)).GetProperty("status").GetString());
        Assert.Equal(2, await StockAsync(productId));

        using var again = await _api.PostAsJsonAsync($"/cancel/{orderId}", new { userId = "owner" });
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Equal("ignored", (await JsonAsync(again)).GetProperty("status").GetString());
        Assert.Equal(2, await StockAsync(productId));

        using var unknown = await _api.GetAsync($"/status/{Guid.NewGuid()}");
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
    }

    [Fact]
    public async Task The_events_socket_streams_stock_changes()
    {
        var productId = NewProduct();
        await InitAsync(productId, 5);
        using var socket = new ClientWebSocket();
        var endpoint = new UriBuilder(graph.App.GetEndpoint("api")) { Scheme = "ws", Path = "/events", Query = $"productId={productId}" }.Uri;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await socket.ConnectAsync(endpoint, timeout.Token);

        var snapshot = await ReceiveAsync(socket, timeout.Token);
        Assert.Equal("inventory", snapshot.GetProperty("type").GetString());
        Assert.Equal(5, snapshot.GetProperty("stock").GetInt64());

        using var order = await OrderAsync(productId, Guid.NewGuid().ToString());
        Assert.Equal(HttpStatusCode.OK, order.StatusCode);

        var update = await ReceiveAsync(socket, timeout.Token);
        Assert.Equal(4, update.GetProperty("stock").GetInt64());
        Assert.False(update.GetProperty("soldOut").GetBoolean());
        await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", timeout.Token);
    }

    private static async Task<JsonElement> ReceiveAsync(ClientWebSocket socket, CancellationToken cancellationToken)
    {
        var buffer = new byte[4096];
        var result = await socket.ReceiveAsync(buffer, cancellationToken);
        return JsonDocument.Parse(buffer.AsMemory(0, result.Count)).RootElement;
    }
}
