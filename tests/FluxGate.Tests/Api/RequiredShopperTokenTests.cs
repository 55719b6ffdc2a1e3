using System.Net;
using FluxGate.AppHost;
using FluxGate.AppHost.Hosting;
using FluxGate.Tests.Infrastructure;

namespace FluxGate.Tests.Api;

/// <summary>A graph of its own with <c>Auth:Shoppers=required</c> in the api and the room.</summary>
public sealed class RequiredShopperTokenTests : IAsyncLifetime
{
    private FluxGateGraph _graph = null!;

    public async Task InitializeAsync() =>
        _graph = await FluxGateGraph.StartAsync(new GraphOptions
        {
            Configuration = new Dictionary<string, string> { ["FluxGate:Settings:all:Auth:Shoppers"] = "required" },
        });

    public async Task DisposeAsync()
    {
        if (_graph is not null)
        {
            await _graph.DisposeAsync();
        }
    }

    [Fact]
    public async Task Without_a_token_shoppers_get_401_with_a_challenge_and_the_room_forwards_a_token_to_the_api()
    {
        using var api = _graph.CreateHttpClient(ResourceNames.Api);
        using var room = _graph.CreateHttpClient(ResourceNames.WaitingRoom);
        var productId = await api.NewProductAsync(10);
        var token = TestShopperTokens.Mint(await _graph.GetParameterValueAsync(ShopperTokens.SigningKeyParameter), "user-required");

        var anonymous = await api.OrderAsync(new { productId, userId = "user-required" });
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.Status);
        Assert.Equal("Bearer", anonymous.Challenge);
        Assert.Equal("error", anonymous.Field("status"));
        Assert.Equal(HttpStatusCode.Unauthorized,
            (await api.SendAsync(HttpMethod.Get, $"/status/{Guid.NewGuid()}")).Status);
        Assert.Equal(HttpStatusCode.Unauthorized,
            (await room.SendAsync(HttpMethod.Post, $"/api/queue/{productId}/join", new { })).Status);

        var signedIn = await api.OrderAsync(new { productId }, token);
        Assert.True(signedIn.Status == HttpStatusCode.OK, signedIn.ToString());

        // The room places the order on the shopper's behalf: the api, which requires a token, sees the same shopper.
        var idempotencyKey = Guid.NewGuid().ToString();
        var joined = await room.SendAsync(HttpMethod.Post, $"/api/queue/{productId}/join", new { idempotencyKey }, token);
        Assert.True(joined.Status == HttpStatusCode.OK, joined.ToString());
        var ticket = joined.Field("ticket")!;
        await Eventually.UntilAsync(
            async () => (await room.SendAsync(HttpMethod.Get, $"/api/queue/{productId}/tickets/{ticket}", token: token)).Field("status"),
            state => state == "served", "the shopper is served");
        var placed = await room.SendAsync(HttpMethod.Post, $"/api/queue/{productId}/tickets/{ticket}/order", new { idempotencyKey }, token);
        Assert.True(placed.Status == HttpStatusCode.OK, placed.ToString());
        var status = await api.SendAsync(HttpMethod.Get, $"/status/{placed.Field("orderId")}", token: token);
        Assert.Equal("user-required", status.Field("userId"));
    }
}
