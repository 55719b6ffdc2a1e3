using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using FluxGate.AppHost;
using FluxGate.Contracts;
using FluxGate.Tests.Infrastructure;
using Microsoft.AspNetCore.WebUtilities;
using Xunit.Abstractions;

namespace FluxGate.Tests.WaitingRoom;

/// <summary>The waiting room in the running graph: the API's 302s, the line, admission tokens and the order hand-off.</summary>
[Collection(GraphCollection.Name)]
public sealed partial class WaitingRoomEndToEndTests(GraphFixture graph, ITestOutputHelper output)
{
    [Fact]
    public Task Flooded_shoppers_are_sent_to_the_room_admitted_in_ticket_order_and_their_orders_succeed_exactly_once() =>
        graph.WithLogsOnFailureAsync(output, async () =>
        {
            await using var shop = new ShopDriver(graph.App);
            var productId = await shop.NewProductAsync(10_000);

            var flood = await shop.FloodUntilRedirectedAsync(productId, wanted: 8);
            var stockAfterFlood = await shop.StockAsync(productId);
            Assert.Equal(10_000 - flood.Accepted, stockAfterFlood);

            // Every 302 points at the room's base URL with what the room needs.
            var shoppers = flood.Redirected.Take(8).ToList();
            foreach (var shopper in shoppers)
            {
                Assert.Equal(shop.RoomUrl.GetLeftPart(UriPartial.Authority), shopper.Location.GetLeftPart(UriPartial.Authority));
                Assert.Equal("/", shopper.Location.AbsolutePath);
                var query = QueryHelpers.ParseQuery(shopper.Location.Query);
                Assert.Equal(productId, query["productId"]);
                Assert.Equal(shopper.UserId, query["userId"]);
                Assert.Equal(shopper.IdempotencyKey, query["idempotencyKey"]);
            }

            // They join one after another: consecutive tickets; coming back keeps the ticket.
            var tickets = new List<string>();
            long? previous = null;
            foreach (var shopper in shoppers)
            {
                var (status, body) = await shop.JoinAsync(productId, shopper.UserId, shopper.IdempotencyKey);
                Assert.Equal(HttpStatusCode.OK, status);
                var number = body.GetProperty("ticketNumber").GetInt64();
                Assert.True(previous is null || number == previous + 1, $"ticket {number} after {previous}");
                previous = number;
                tickets.Add(body.GetProperty("ticket").GetString()!);
            }
            var (_, rejoin) = await shop.JoinAsync(productId, shoppers[0].UserId, shoppers[0].IdempotencyKey);
            Assert.Equal(tickets[0], rejoin.GetProperty("ticket").GetString());
            Assert.True(rejoin.GetProperty("rejoined").GetBoolean());

            // Admitted in ticket order: polled back to front, a served ticket never has a waiting one before it.
            var violations = new List<string>();
            await Eventually.UntilAsync(async () =>
            {
                var servedBehind = -1;
                for (var i = tickets.Count - 1; i >= 0; i--)
                {
                    var (_, body) = await shop.TicketAsync(productId, tickets[i]);
                    var served = body.GetProperty("status").GetString() == "served";
                    if (!served && servedBehind >= 0)
                    {
                        violations.Add($"ticket #{i} waits while #{servedBehind} is served");
                    }
                    if (served && servedBehind < 0)
                    {
                        servedBehind = i;
                    }
                }
                return servedBehind;
            }, last => last == tickets.Count - 1, "every shopper is served");
            Assert.Empty(violations);

            // The room retries each order with the shopper's key and an admission token: accepted once...
            var orderIds = new List<string>();
            for (var i = 0; i < shoppers.Count; i++)
            {
                var placed = await shop.HandOffAsync(productId, tickets[i], shoppers[i].UserId, shoppers[i].IdempotencyKey);
                Assert.True(placed.Status == HttpStatusCode.OK, $"hand-off {i}: {placed}");
                Assert.Equal("success", placed.Field("status"));
                Assert.True(Guid.TryParse(placed.Field("orderId"), out _), placed.ToString());
                orderIds.Add(placed.Field("orderId")!);
            }
            Assert.Equal(shoppers.Count, orderIds.Distinct().Count());

            // ...and only once, however often it is retried, through the room or straight at the API.
            for (var i = 0; i < shoppers.Count; i++)
            {
                var again = await shop.HandOffAsync(productId, tickets[i], shoppers[i].UserId, shoppers[i].IdempotencyKey);
                Assert.Equal(HttpStatusCode.OK, again.Status);
                Assert.Equal("ignored", again.Field("status"));
                Assert.Equal(orderIds[i], again.Field("orderId"));
                var direct = await shop.OrderAsync(productId, shoppers[i].UserId, shoppers[i].IdempotencyKey);
                Assert.Equal("ignored", direct.Field("status"));
                Assert.Equal(orderIds[i], direct.Field("orderId"));
            }
            Assert.Equal(stockAfterFlood - shoppers.Count, await shop.StockAsync(productId));
        });

    [Fact]
    public Task A_hand_off_that_fails_in_kafka_can_be_retried_with_the_same_ticket() =>
        graph.WithLogsOnFailureAsync(output, async () =>
        {
            await using var shop = new ShopDriver(graph.App);
            var productId = await shop.NewProductAsync(10_000);
            var flood = await shop.FloodUntilRedirectedAsync(productId, wanted: 1);
            var shopper = flood.Redirected[0];
            var (_, joined) = await shop.JoinAsync(productId, shopper.UserId, shopper.IdempotencyKey);
            var ticket = joined.GetProperty("ticket").GetString()!;
            await Eventually.UntilAsync(async () => (await shop.TicketAsync(productId, ticket)).Body.GetProperty("status").GetString(),
                status => status == "served", "the shopper is served");
            var stock = await shop.StockAsync(productId);
            var kafka = graph.App.Kafka;

            kafka.StartProduceOutage();
            try
            {
                var failed = await shop.HandOffAsync(productId, ticket, shopper.UserId, shopper.IdempotencyKey);
                Assert.Equal(HttpStatusCode.InternalServerError, failed.Status);
                Assert.Equal(stock, await shop.StockAsync(productId));
            }
            finally
            {
                kafka.EndProduceOutage();
            }

            // The failed order released its ticket: the retry is a first use, not a replay.
            var placed = await Eventually.UntilAsync(
                () => shop.HandOffAsync(productId, ticket, shopper.UserId, shopper.IdempotencyKey),
                answer => answer.Status != HttpStatusCode.InternalServerError,
                "the retried hand-off gets past Kafka");
            Assert.True(placed.Status == HttpStatusCode.OK, placed.ToString());
            Assert.Equal("success", placed.Field("status"));
            Assert.Equal(stock - 1, await shop.StockAsync(productId));
        });

    [Fact]
    public Task A_ticket_is_not_let_through_before_its_turn() =>
        graph.WithLogsOnFailureAsync(output, async () =>
        {
            await using var shop = new ShopDriver(graph.App);
            var productId = await shop.NewProductAsync(10_000);
            await shop.BuildLineAsync(productId, 500);
            var stock = await shop.StockAsync(productId);

            var (_, joined) = await shop.JoinAsync(productId, "late-user", "late-key");
            var ticket = joined.GetProperty("ticket").GetString()!;
            Assert.Equal("waiting", joined.GetProperty("status").GetString());
            Assert.True(joined.GetProperty("peopleAhead").GetInt64() > 0, joined.ToString());

            var early = await shop.HandOffAsync(productId, ticket, "late-user", "late-key");
            Assert.Equal(HttpStatusCode.Conflict, early.Status);
            Assert.Equal("waiting", early.Field("status"));
            var (admitStatus, admitBody) = await shop.AdmitAsync(productId, ticket, "http://localhost/checkout");
            Assert.Equal(HttpStatusCode.Conflict, admitStatus);
            Assert.Equal("waiting", admitBody.GetProperty("status").GetString());
            Assert.Equal(stock, await shop.StockAsync(productId));
        });

    [Fact]
    public Task The_api_refuses_forged_tokens_and_tokens_used_twice_or_for_another_product() =>
        graph.WithLogsOnFailureAsync(output, async () =>
        {
            await using var shop = new ShopDriver(graph.App);
            var productId = await shop.NewProductAsync(100);
            var otherProduct = await shop.NewProductAsync(100);

            var forged = new AdmissionToken(productId, 1, DateTimeOffset.UtcNow.AddMinutes(1)).Sign(RandomNumberGenerator.GetBytes(32));
            var refused = await shop.OrderAsync(productId, "mallory", Guid.NewGuid().ToString(), forged);
            Assert.Equal(HttpStatusCode.Forbidden, refused.Status);
            Assert.Equal("Invalid admission token signature", refused.Field("msg"));
            var garbage = await shop.OrderAsync(productId, "mallory", Guid.NewGuid().ToString(), "not-a-token");
            Assert.Equal(HttpStatusCode.Forbidden, garbage.Status);

            // A real token from the room: one order with it, never a second.
            var (_, joined) = await shop.JoinAsync(productId);
            var ticket = joined.GetProperty("ticket").GetString()!;
            await Eventually.UntilAsync(() => shop.TicketAsync(productId, ticket),
                t => t.Body.GetProperty("status").GetString() == "served", "the ticket is served");
            var (admitted, admission) = await shop.AdmitAsync(productId, ticket, "http://localhost/checkout?cart=7");
            Assert.Equal(HttpStatusCode.OK, admitted);
            var token = admission.GetProperty("admissionToken").GetString()!;
            Assert.Equal($"http://localhost/checkout?cart=7&admissionToken={token}", admission.GetProperty("redirectUrl").GetString());

            var wrongProduct = await shop.OrderAsync(otherProduct, "erin", Guid.NewGuid().ToString(), token);
            Assert.Equal(HttpStatusCode.Forbidden, wrongProduct.Status);
            Assert.Equal("Admission token is for another product", wrongProduct.Field("msg"));

            var first = await shop.OrderAsync(productId, "erin", Guid.NewGuid().ToString(), token);
            Assert.True(first.Status == HttpStatusCode.OK, first.ToString());
            Assert.Equal("success", first.Field("status"));

            var replay = await shop.OrderAsync(productId, "erin", Guid.NewGuid().ToString(), token);
            Assert.Equal(HttpStatusCode.Forbidden, replay.Status);
            Assert.Equal("Admission token already used", replay.Field("msg"));
            Assert.Equal(99, await shop.StockAsync(productId));
        });

    [Fact]
    public Task Without_javascript_a_shopper_with_a_return_url_is_sent_back_with_a_token_by_meta_refresh() =>
        graph.WithLogsOnFailureAsync(output, async () =>
        {
            await using var shop = new ShopDriver(graph.App);
            var productId = await shop.NewProductAsync(100);
            await shop.BuildLineAsync(productId, 150);

            // Follow the page's own <meta http-equiv="refresh"> as a browser without JavaScript does.
            var url = $"/?productId={productId}&returnUrl={Uri.EscapeDataString("http://localhost/checkout")}";
            var refreshes = 0;
            var positions = new List<long>();
            Uri? shopUrl = null;
            while (shopUrl is null)
            {
                Assert.True(refreshes < 200, "the page never let the shopper through");
                using var response = await shop.Room.GetAsync(url);
                if (response.StatusCode == HttpStatusCode.Found)
                {
                    shopUrl = response.Headers.Location;
                    break;
                }
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                var html = await response.Content.ReadAsStringAsync();
                if (Position().Match(html) is { Success: true } position && html.Contains("data-view=\"waiting\">"))
                {
                    positions.Add(long.Parse(position.Groups[1].Value, System.Globalization.NumberStyles.AllowThousands, System.Globalization.CultureInfo.InvariantCulture));
                }
                var refresh = MetaRefresh().Match(html);
                Assert.True(refresh.Success, $"no meta refresh on: {html[..Math.Min(html.Length, 400)]}");
                await Task.Delay(TimeSpan.FromSeconds(int.Parse(refresh.Groups["seconds"].Value)));
                url = WebUtility.HtmlDecode(refresh.Groups["url"].Value);
                refreshes++;
            }

            // The first page already showed a place in line (150 people were ahead), and it only ever went down.
            Assert.True(positions.Count >= 1 && positions[0] > 1, $"positions seen: {string.Join(", ", positions)}");
            Assert.Equal(positions.OrderDescending(), positions);
            output.WriteLine($"{refreshes} refreshes; positions seen: {string.Join(", ", positions)}");
            Assert.StartsWith("http://localhost/checkout?admissionToken=", shopUrl!.ToString());
            var token = QueryHelpers.ParseQuery(shopUrl.Query)["admissionToken"].ToString();
            var order = await shop.OrderAsync(productId, "frank", Guid.NewGuid().ToString(), token);
            Assert.True(order.Status == HttpStatusCode.OK, order.ToString());
        });

    [Fact]
    public Task Bad_input_gets_a_clear_4xx_never_a_5xx() =>
        graph.WithLogsOnFailureAsync(output, async () =>
        {
            await using var shop = new ShopDriver(graph.App);
            var productId = await shop.NewProductAsync(10);
            var (_, joined) = await shop.JoinAsync(productId);
            var ticket = joined.GetProperty("ticket").GetString()!;

            await ExpectErrorAsync(HttpStatusCode.BadRequest, "productId", shop.Room.PostAsync("/api/queue/bad%7Bid%7D/join", null));
            await ExpectErrorAsync(HttpStatusCode.BadRequest, "Request body is not valid JSON", shop.Room.PostAsync($"/api/queue/{productId}/join",
                new StringContent("{\"userId\":", Encoding.UTF8, "application/json")));
            // Refused by binding before the handler runs: ProblemDetails.
            using (var form = await shop.Room.PostAsync($"/api/queue/{productId}/join",
                       new StringContent("userId=x", Encoding.UTF8, "application/x-www-form-urlencoded")))
            {
                Assert.Equal(HttpStatusCode.UnsupportedMediaType, form.StatusCode);
                Assert.Equal("application/problem+json", form.Content.Headers.ContentType?.MediaType);
                Assert.Equal("Content-Type must be application/json", (await ShopDriver.ReadJsonAsync(form)).GetProperty("detail").GetString());
            }
            await ExpectErrorAsync(HttpStatusCode.BadRequest, "idempotencyKey", shop.Room.PostAsync($"/api/queue/{productId}/join",
                new StringContent("{\"userId\":\"u\"}", Encoding.UTF8, "application/json")));
            await ExpectErrorAsync(HttpStatusCode.NotFound, "Unknown ticket", shop.Room.GetAsync($"/api/queue/{productId}/tickets/1.forged"));
            await ExpectErrorAsync(HttpStatusCode.NotFound, "Unknown ticket", shop.Room.GetAsync($"/api/queue/{productId}/tickets/{ticket}9"));
            await ExpectErrorAsync(HttpStatusCode.BadRequest, "userId", shop.Room.PostAsync($"/api/queue/{productId}/tickets/{ticket}/order",
                new StringContent("{}", Encoding.UTF8, "application/json")));
            await ExpectErrorAsync(HttpStatusCode.BadRequest, "returnUrl", shop.Room.PostAsync($"/api/queue/{productId}/tickets/{ticket}/admission",
                new StringContent("{\"returnUrl\":\"https://evil.example/\"}", Encoding.UTF8, "application/json")));

            // A partial link is a 400 page; the bare address (the spec's Location) is a 200 page.
            using var page = await shop.Room.GetAsync("/?userId=u");
            Assert.Equal(HttpStatusCode.BadRequest, page.StatusCode);
            Assert.Contains("This link is incomplete", await page.Content.ReadAsStringAsync());
            using var bare = await shop.Room.GetAsync("/");
            Assert.Equal(HttpStatusCode.OK, bare.StatusCode);
        });

    [Fact]
    public Task While_redis_is_down_the_room_answers_503_with_when_to_come_back_and_recovers_after() =>
        graph.WithLogsOnFailureAsync(output, async () =>
        {
            await using var shop = new ShopDriver(graph.App);
            var productId = await shop.NewProductAsync(10);
            var (_, joined) = await shop.JoinAsync(productId);
            var ticket = joined.GetProperty("ticket").GetString()!;
            try
            {
                await graph.App.StopResourceAsync(ResourceNames.Redis);

                var poll = await Eventually.UntilAsync(() => shop.TicketAsync(productId, ticket),
                    answer => answer.Status != HttpStatusCode.OK, "the room notices redis is down");
                Assert.Equal(HttpStatusCode.ServiceUnavailable, poll.Status);
                Assert.Equal("error", poll.Body.GetProperty("status").GetString());
                Assert.True(poll.Body.GetProperty("retryAfterMs").GetInt64() > 0);

                using var page = await shop.Room.GetAsync($"/?productId={productId}&ticket={ticket}");
                Assert.Equal(HttpStatusCode.ServiceUnavailable, page.StatusCode);
                var html = await page.Content.ReadAsStringAsync();
                Assert.Contains("briefly unavailable", html);
                Assert.Contains("http-equiv=\"refresh\"", html);
            }
            finally
            {
                await graph.App.StartResourceAsync(ResourceNames.Redis);
                await graph.WaitUntilHealthyAsync();
            }

            // The restarted server is empty: the product is set up again and the line works.
            await shop.SetStockAsync(productId, 10);
            var (status, again) = await Eventually.UntilAsync(() => shop.JoinAsync(productId),
                answer => answer.Status == HttpStatusCode.OK, "the room works again");
            Assert.Equal("waiting", again.GetProperty("status").GetString());
        });

    private static async Task ExpectErrorAsync(HttpStatusCode expected, string mentions, Task<HttpResponseMessage> request)
    {
        using var response = await request;
        var body = await ShopDriver.ReadJsonAsync(response);
        Assert.True(response.StatusCode == expected, $"expected {(int)expected}, got {(int)response.StatusCode} {body}");
        Assert.Equal("error", body.GetProperty("status").GetString());
        Assert.Contains(mentions, body.GetProperty("msg").GetString());
    }

    [GeneratedRegex("""id="position" aria-describedby="position-label">([\d,]+)<""")]
    private static partial Regex Position();

    [GeneratedRegex("""<meta http-equiv="refresh" content="(?<seconds>\d+);url=(?<url>[^"]+)">""")]
    private static partial Regex MetaRefresh();
}
