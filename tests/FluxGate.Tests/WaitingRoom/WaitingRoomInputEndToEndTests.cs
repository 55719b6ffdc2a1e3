using System.Net;
using System.Text;
using System.Text.Json;
using FluxGate.AppHost;
using FluxGate.Tests.Infrastructure;
using Xunit.Abstractions;

namespace FluxGate.Tests.WaitingRoom;

/// <summary>
/// Malformed input on every endpoint of the running waiting room: its JSON API answers a 4xx in its own shape
/// <c>{"status":"error","msg"}</c>, what the framework refuses before a handler runs (routing, an oversized body) is
/// ProblemDetails, and the page is a 400 page (its bare address a 200).
/// </summary>
[Collection(GraphCollection.Name)]
public sealed class WaitingRoomInputEndToEndTests(GraphFixture graph, ITestOutputHelper output)
{
    private static readonly (string, string) Json = ("Content-Type", "application/json");

    private Uri Room => graph.App.GetEndpoint(ResourceNames.WaitingRoom);

    private static byte[] WithInvalidUtf8(string before, string after) =>
        [.. Encoding.UTF8.GetBytes(before), 0xED, 0xA0, 0x80, .. Encoding.UTF8.GetBytes(after)];

    public static TheoryData<string, string, string, int, string> Refusals => new()
    {
        // name, method, path ({t} = a real ticket), status, what the error says
        { "invalid UTF-8 in userId", "POST", "/api/queue/{p}/join", 400, "Request body is not valid UTF-8" },
        { "lone surrogate in userId", "POST", "/api/queue/{p}/join", 400, "userId must be valid Unicode text (no unpaired surrogates)" },
        { "product id with braces", "GET", "/api/queue/%7Bp%7D/tickets/{t}", 400, "productId may contain only" },
        { "forged ticket", "GET", "/api/queue/{p}/tickets/99999999999999999999.%FF", 404, "Unknown ticket" },
        { "lone surrogate in userId", "POST", "/api/queue/{p}/tickets/{t}/order", 400, "userId must be valid Unicode text (no unpaired surrogates)" },
        { "invalid UTF-8 in returnUrl", "POST", "/api/queue/{p}/tickets/{t}/admission", 400, "Request body is not valid UTF-8" },
    };

    [Theory]
    [MemberData(nameof(Refusals))]
    public Task Malformed_input_is_a_4xx_with_the_rooms_error_body(string name, string method, string path, int status, string says) =>
        graph.WithLogsOnFailureAsync(output, async () =>
        {
            await using var shop = new ShopDriver(graph.App);
            var productId = await shop.NewProductAsync(10);
            var (_, joined) = await shop.JoinAsync(productId);
            var ticket = joined.GetProperty("ticket").GetString()!;
            var body = name switch
            {
                "invalid UTF-8 in userId" => WithInvalidUtf8("{\"userId\":\"a", "\",\"idempotencyKey\":\"k\"}"),
                "lone surrogate in userId" => """{"userId":"\udc00","idempotencyKey":"k"}"""u8.ToArray(),
                "invalid UTF-8 in returnUrl" => WithInvalidUtf8("{\"returnUrl\":\"http://localhost/", "\"}"),
                _ => null,
            };

            var answer = await RawHttp.SendAsync(Room, method, path.Replace("{p}", productId).Replace("{t}", ticket), body,
                body is null ? [] : [Json]);

            Assert.True(answer.Status == status, $"{name}: {answer}");
            Assert.StartsWith("application/json", answer.ContentType);
            var json = answer.Json();
            Assert.Equal("error", json.GetProperty("status").GetString());
            Assert.Contains(says, json.GetProperty("msg").GetString());
        });

    [Theory]
    [InlineData("GET", "/no-such-route", 404)]
    [InlineData("GET", "/api/queue/p/join", 405)]
    [InlineData("POST", "/", 405)]
    [InlineData("POST", "/api/queue/p/join", 413)]
    public Task What_the_framework_refuses_before_a_handler_runs_is_problem_details(string method, string path, int status) =>
        graph.WithLogsOnFailureAsync(output, async () =>
        {
            var body = status == 413
                ? Encoding.UTF8.GetBytes($$"""{"userId":"{{new string('u', 17_000)}}","idempotencyKey":"k"}""")
                : null;

            var answer = await RawHttp.SendAsync(Room, method, path, body, body is null ? [] : [Json]);

            Assert.True(answer.Status == status, answer.ToString());
            Assert.StartsWith("application/problem+json", answer.ContentType);
            Assert.Equal(status, answer.Json().GetProperty("status").GetInt32());
        });

    [Fact]
    public Task The_bare_address_says_where_the_shopper_is_and_how_to_go_back() =>
        graph.WithLogsOnFailureAsync(output, async () =>
        {
            using var room = graph.App.CreateHttpClient(ResourceNames.WaitingRoom);

            using var page = await room.GetAsync("/");

            Assert.Equal(HttpStatusCode.OK, page.StatusCode);
            Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
            var html = await page.Content.ReadAsStringAsync();
            Assert.Contains("<section data-view=\"entrance\" aria-labelledby", html);
            Assert.Contains("This is the FluxGate waiting room", html);
            Assert.Contains("go back to the shop", html);
        });

    [Theory]
    [InlineData("/?userId=u", "productId is required")]
    [InlineData("/?productId=%FF", "productId may contain only")]
    [InlineData("/?productId=p&userId=a%01b&idempotencyKey=k", "userId must not contain control characters")]
    [InlineData("/?productId=p&userId=u&idempotencyKey=cl%C3%A9", "idempotencyKey must be printable ASCII")]
    public Task A_partial_or_malformed_link_is_a_400_page_that_says_what_is_wrong(string link, string says) =>
        graph.WithLogsOnFailureAsync(output, async () =>
        {
            using var room = graph.App.CreateHttpClient(ResourceNames.WaitingRoom);

            using var page = await room.GetAsync(link);

            Assert.Equal(HttpStatusCode.BadRequest, page.StatusCode);
            Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
            var html = WebUtility.HtmlDecode(await page.Content.ReadAsStringAsync());
            Assert.Contains("This link is incomplete", html);
            Assert.Contains(says, html);
        });
}
