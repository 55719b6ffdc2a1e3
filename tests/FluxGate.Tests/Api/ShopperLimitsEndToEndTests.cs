using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using FluxGate.Tests.Infrastructure;
using Xunit.Abstractions;

namespace FluxGate.Tests.Api;

/// <summary>The purchase limit through the whole graph, and what a bot with fresh userIds gets with the default rate limits.</summary>
[Collection(GraphCollection.Name)]
public sealed class PurchaseLimitEndToEndTests(GraphFixture graph, ITestOutputHelper output) : IDisposable
{
    private readonly HttpClient _api = graph.App.CreateHttpClient("api");

    public void Dispose() => _api.Dispose();

    [Fact]
    public Task A_customer_past_the_limit_gets_409_limit_reached_until_a_cancel_gives_the_allowance_back() => graph.WithLogsOnFailureAsync(output, async () =>
    {
        var productId = $"lim-{Guid.NewGuid():N}"[..24];
        using (var init = await _api.PostAsJsonAsync("/init", new { productId, quantity = 10, maxPerCustomer = 1 }))
        {
            Assert.Equal(HttpStatusCode.OK, init.StatusCode);
            Assert.Equal($$"""{"status":"ok","msg":"Stock initialized for {{productId}} to 10"}""", await init.Content.ReadAsStringAsync());
        }

        var firstKey = Guid.NewGuid().ToString();
        using var first = await ShopperLimits.OrderAsync(_api, productId, "alice", firstKey);
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        var orderId = (await JsonAsync(first)).GetProperty("orderId").GetGuid();

        using var second = await ShopperLimits.OrderAsync(_api, productId, "alice", Guid.NewGuid().ToString());
        Assert.Equal(HttpStatusCode.Conflict, second.StatusCode);
        Assert.Equal("""{"status":"limit_reached","msg":"Purchase limit reached"}""", await second.Content.ReadAsStringAsync());

        // The first key still answers its order; someone else still buys.
        using var replay = await ShopperLimits.OrderAsync(_api, productId, "alice", firstKey);
        Assert.Equal("ignored", (await JsonAsync(replay)).GetProperty("status").GetString());
        Assert.Equal(orderId, (await JsonAsync(replay)).GetProperty("orderId").GetGuid());
        using var bob = await ShopperLimits.OrderAsync(_api, productId, "bob", Guid.NewGuid().ToString());
        Assert.Equal(HttpStatusCode.OK, bob.StatusCode);

        using (var cancel = await _api.PostAsJsonAsync($"/cancel/{orderId}", new { userId = "alice" }))
        {
            Assert.Equal(HttpStatusCode.OK, cancel.StatusCode);
        }
        using var again = await ShopperLimits.OrderAsync(_api, productId, "alice", Guid.NewGuid().ToString());
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        var inventory = await _api.GetFromJsonAsync<JsonElement>($"/inventory/{productId}");
        Assert.Equal(8, inventory.GetProperty("stock").GetInt64());
    });

    [Theory]
    [InlineData("0")]
    [InlineData("-3")]
    [InlineData("1.5")]
    [InlineData("\"2\"")]
    [InlineData("null")]
    public async Task Init_refuses_a_purchase_limit_that_is_not_a_positive_integer(string maxPerCustomer)
    {
        using var content = new StringContent($$"""{"productId":"lim-bad","quantity":5,"maxPerCustomer":{{maxPerCustomer}}}""",
            System.Text.Encoding.UTF8, "application/json");
        using var response = await _api.PostAsync("/init", content);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("""{"error":"maxPerCustomer must be a positive integer (at most 2147483647); leave it out for no limit"}""",
            await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Without_a_per_shopper_limit_a_bot_with_fresh_user_ids_takes_the_products_whole_rate()
    {
        var burst = await ShopperLimits.BotBurstAsync(_api, output);

        // Development: 50/s per product, no per-shopper bucket: the bot gets the burst and the refill, everyone else nothing.
        Assert.InRange(burst.Accepted, 50, 50 + (int)Math.Ceiling(50 * burst.Elapsed.TotalSeconds) + 1);
        Assert.Equal(ShopperLimits.Requests, burst.Accepted + burst.Redirected);
    }

    private static async Task<JsonElement> JsonAsync(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
}

/// <summary>A graph of its own with a per-shopper limit (2/s, burst 2): the same bot burst, held to one client's rate.</summary>
public sealed class PerShopperLimitEndToEndTests(ITestOutputHelper output) : IAsyncLifetime
{
    private FluxGateGraph? _graph;

    public async Task InitializeAsync()
    {
        _graph = await FluxGateGraph.StartAsync(new GraphOptions
        {
            Configuration = new Dictionary<string, string>
            {
                ["FluxGate:Settings:api:RateLimit:PerShopper:PermitsPerSecond"] = "2",
                ["FluxGate:Settings:api:RateLimit:PerShopper:Burst"] = "2",
            },
        });
    }

    public async Task DisposeAsync()
    {
        if (_graph is not null)
        {
            await _graph.DisposeAsync();
        }
    }

    [Fact]
    public async Task A_bot_with_fresh_user_ids_from_one_client_is_held_to_the_per_shopper_rate()
    {
        using var api = _graph!.CreateHttpClient("api");

        var burst = await ShopperLimits.BotBurstAsync(api, output);

        Assert.InRange(burst.Accepted, 2, 2 + (int)Math.Ceiling(2 * burst.Elapsed.TotalSeconds) + 1);
        Assert.Equal(ShopperLimits.Requests, burst.Accepted + burst.Redirected);
    }
}

internal static class ShopperLimits
{
    public const int Requests = 2000;

    public sealed record Burst(int Accepted, int Redirected, TimeSpan Elapsed);

    public static Task<HttpResponseMessage> OrderAsync(HttpClient api, string productId, string userId, string key)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/order") { Content = JsonContent.Create(new { productId, userId }) };
        request.Headers.Add("x-idempotency-key", key);
        return api.SendAsync(request);
    }

    /// <summary>2,000 orders from this one client, 32 at a time, each with a fresh userId and key, against a product of 10,000.</summary>
    public static async Task<Burst> BotBurstAsync(HttpClient api, ITestOutputHelper output)
    {
        var productId = $"bot-{Guid.NewGuid():N}"[..24];
        using (var init = await api.PostAsJsonAsync("/init", new { productId, quantity = 10_000 }))
        {
            Assert.Equal(HttpStatusCode.OK, init.StatusCode);
        }

        var statuses = new HttpStatusCode[Requests];
        var next = -1;
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, 32).Select(async _ =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < Requests)
            {
                using var response = await OrderAsync(api, productId, $"bot-{Guid.NewGuid():N}", Guid.NewGuid().ToString());
                statuses[i] = response.StatusCode;
            }
        }));
        var elapsed = clock.Elapsed;

        var burst = new Burst(statuses.Count(s => s == HttpStatusCode.OK), statuses.Count(s => s == HttpStatusCode.Found), elapsed);
        output.WriteLine($"bot burst: {Requests} requests in {elapsed.TotalSeconds:F2} s: {burst.Accepted} accepted, {burst.Redirected} redirected (302), " +
                         $"other: {string.Join(", ", statuses.Where(s => s is not (HttpStatusCode.OK or HttpStatusCode.Found)).GroupBy(s => s).Select(g => $"{(int)g.Key}×{g.Count()}"))}");
        return burst;
    }
}
