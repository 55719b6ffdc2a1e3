using System.Net;
using Aspire.Hosting;
using FluxGate.AppHost;
using FluxGate.AppHost.Hosting;
using FluxGate.Tests.Infrastructure;
using Xunit.Abstractions;

namespace FluxGate.Tests.Api;

/// <summary>
/// Shopper tokens in the running graph (Auth:Shoppers optional, the AppHost's development issuer): signed-in orders are
/// the subject's, bad tokens are 401s, the anonymous flow is untouched, the room takes the same tokens.
/// </summary>
[Collection(GraphCollection.Name)]
public sealed class ShopperTokenEndToEndTests(GraphFixture graph, ITestOutputHelper output)
{
    [Fact]
    public Task A_signed_in_order_is_the_subjects_and_only_they_see_and_cancel_it() =>
        graph.WithLogsOnFailureAsync(output, async () =>
        {
            using var api = graph.App.CreateHttpClient(ResourceNames.Api);
            var productId = await api.NewProductAsync(10);
            var owner = "shopper-" + Guid.NewGuid().ToString("N")[..8];
            var ownerToken = await MintThroughDashboardCommandAsync(owner);
            var otherToken = TestShopperTokens.Mint(await SigningKeyAsync(), "someone-else");

            // No userId in the body: the token's subject is the shopper.
            var placed = await api.OrderAsync(new { productId }, ownerToken);
            Assert.True(placed.Status == HttpStatusCode.OK, placed.ToString());
            Assert.Equal("success", placed.Field("status"));
            var orderId = placed.Field("orderId")!;

            var status = await api.SendAsync(HttpMethod.Get, $"/status/{orderId}", token: ownerToken);
            Assert.True(status.Status == HttpStatusCode.OK, status.ToString());
            Assert.Equal(owner, status.Field("userId"));
            var foreign = await api.SendAsync(HttpMethod.Get, $"/status/{orderId}", token: otherToken);
            Assert.Equal(HttpStatusCode.Forbidden, foreign.Status);
            Assert.Equal("error", foreign.Field("status"));

            var stolen = await api.SendAsync(HttpMethod.Post, $"/cancel/{orderId}", token: otherToken);
            Assert.Equal(HttpStatusCode.Forbidden, stolen.Status);
            var naming = await api.SendAsync(HttpMethod.Post, $"/cancel/{orderId}", new { userId = owner }, otherToken);
            Assert.Equal(HttpStatusCode.Forbidden, naming.Status);
            Assert.Equal("userId does not match the signed-in shopper", naming.Field("msg"));
            // Anonymous, naming the owner in the body (Auth:Shoppers=Optional lets anonymous shoppers cancel their own
            // anonymous orders that way): an order placed signed in is not theirs to cancel.
            var anonymous = await api.SendAsync(HttpMethod.Post, $"/cancel/{orderId}", new { userId = owner });
            Assert.Equal(HttpStatusCode.Forbidden, anonymous.Status);
            Assert.Equal("Order belongs to another user", anonymous.Field("msg"));

            var cancelled = await api.SendAsync(HttpMethod.Post, $"/cancel/{orderId}", token: ownerToken);
            Assert.True(cancelled.Status == HttpStatusCode.OK, cancelled.ToString());
            Assert.Equal("cancelled", cancelled.Field("status"));
        });

    [Fact]
    public Task A_body_userId_other_than_the_subject_is_403_and_bad_tokens_are_401_with_a_challenge() =>
        graph.WithLogsOnFailureAsync(output, async () =>
        {
            using var api = graph.App.CreateHttpClient(ResourceNames.Api);
            var productId = await api.NewProductAsync(10);
            var key = await SigningKeyAsync();

            var mismatch = await api.OrderAsync(new { productId, userId = "user-b" }, TestShopperTokens.Mint(key, "user-a"));
            Assert.Equal(HttpStatusCode.Forbidden, mismatch.Status);
            Assert.Equal("error", mismatch.Field("status"));
            Assert.Equal("userId does not match the signed-in shopper", mismatch.Field("msg"));

            var same = await api.OrderAsync(new { productId, userId = "user-a" }, TestShopperTokens.Mint(key, "user-a"));
            Assert.True(same.Status == HttpStatusCode.OK, same.ToString());
            // Signed in, the body may leave userId out: the order is the subject's.
            var omitted = await api.OrderAsync(new { productId }, TestShopperTokens.Mint(key, "user-c"));
            Assert.True(omitted.Status == HttpStatusCode.OK, omitted.ToString());
            var placed = await api.SendAsync(HttpMethod.Get, $"/status/{omitted.Field("orderId")}", token: TestShopperTokens.Mint(key, "user-c"));
            Assert.Equal("user-c", placed.Field("userId"));

            foreach (var (token, problem) in new[]
                     {
                         (TestShopperTokens.Expired(key, "user-a"), "The token expired"),
                         (TestShopperTokens.Mint(TestShopperTokens.NewKey(), "user-a"), "The token signature is invalid"),
                         (TestShopperTokens.Mint(key, "user-a", audience: "another-shop"), "The token is for another audience"),
                     })
            {
                var refused = await api.OrderAsync(new { productId, userId = "user-a" }, token);
                Assert.True(refused.Status == HttpStatusCode.Unauthorized, refused.ToString());
                Assert.Equal(problem, refused.Field("msg"));
                Assert.StartsWith("Bearer error=\"invalid_token\"", refused.Challenge);
            }
            Assert.Equal(10 - 2, await StockAsync(api, productId));

            // The spec's anonymous flow is untouched: a body userId, and without one a 400.
            var anonymous = await api.OrderAsync(new { productId, userId = "user-anon" });
            Assert.True(anonymous.Status == HttpStatusCode.OK, anonymous.ToString());
            var noUser = await api.OrderAsync(new { productId });
            Assert.Equal(HttpStatusCode.BadRequest, noUser.Status);
            Assert.Equal("userId is required", noUser.Field("error"));
        });

    [Fact]
    public Task The_waiting_room_takes_the_token_and_places_the_order_for_the_subject() =>
        graph.WithLogsOnFailureAsync(output, async () =>
        {
            using var api = graph.App.CreateHttpClient(ResourceNames.Api);
            using var room = graph.App.CreateHttpClient(ResourceNames.WaitingRoom);
            var productId = await api.NewProductAsync(10);
            var key = await SigningKeyAsync();
            var shopper = "room-" + Guid.NewGuid().ToString("N")[..8];
            var token = TestShopperTokens.Mint(key, shopper);
            var idempotencyKey = Guid.NewGuid().ToString();

            var mismatch = await room.SendAsync(HttpMethod.Post, $"/api/queue/{productId}/join", new { userId = "not-me", idempotencyKey }, token);
            Assert.Equal(HttpStatusCode.Forbidden, mismatch.Status);
            var expired = await room.SendAsync(HttpMethod.Post, $"/api/queue/{productId}/join", new { idempotencyKey },
                TestShopperTokens.Expired(key, shopper));
            Assert.Equal(HttpStatusCode.Unauthorized, expired.Status);
            Assert.StartsWith("Bearer error=\"invalid_token\"", expired.Challenge);

            var joined = await room.SendAsync(HttpMethod.Post, $"/api/queue/{productId}/join", new { idempotencyKey }, token);
            Assert.True(joined.Status == HttpStatusCode.OK, joined.ToString());
            var ticket = joined.Field("ticket")!;
            await Eventually.UntilAsync(
                async () => (await room.SendAsync(HttpMethod.Get, $"/api/queue/{productId}/tickets/{ticket}", token: token)).Field("status"),
                state => state == "served", "the shopper is served");

            var placed = await room.SendAsync(HttpMethod.Post, $"/api/queue/{productId}/tickets/{ticket}/order", new { idempotencyKey }, token);
            Assert.True(placed.Status == HttpStatusCode.OK, placed.ToString());
            Assert.Equal("success", placed.Field("status"));
            var status = await api.SendAsync(HttpMethod.Get, $"/status/{placed.Field("orderId")}", token: token);
            Assert.Equal(shopper, status.Field("userId"));
        });

    private async Task<string> SigningKeyAsync() => await graph.App.GetParameterValueAsync(ShopperTokens.SigningKeyParameter);

    /// <summary>The dashboard's "Mint shopper token" on the api, as the dashboard runs it.</summary>
    private async Task<string> MintThroughDashboardCommandAsync(string userId)
    {
        var arguments = new InteractionInputCollection([new InteractionInput { Name = "userId", InputType = InputType.Text, Value = userId }]);
        var result = await graph.App.App.ResourceCommands.ExecuteCommandAsync(ResourceNames.Api, ShopperTokens.MintCommand, arguments);
        Assert.True(result.Success, result.Message);
        return result.Data!.Value;
    }

    private static async Task<long> StockAsync(HttpClient api, string productId) =>
        (await api.SendAsync(HttpMethod.Get, $"/inventory/{productId}")).Body.GetProperty("stock").GetInt64();
}
