using System.Net;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using FluxGate.AppHost;
using FluxGate.Contracts;
using FluxGate.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using StackExchange.Redis;
using Xunit.Abstractions;

namespace FluxGate.Tests.Api;

/// <summary>
/// Malformed input on every endpoint of the running api: a 4xx with a JSON body of the right shape, never a 500.
/// The spec's endpoints answer a refused request with <c>{"error"}</c>; routing errors are ProblemDetails.
/// </summary>
[Collection(GraphCollection.Name)]
public sealed class ApiInputEndToEndTests(GraphFixture graph, ITestOutputHelper output)
{
    private static readonly byte[] InvalidUtf8UserId = [.. "{\"productId\":\"p\",\"userId\":\"a"u8, 0xFF, .. "\"}"u8];
    private static readonly (string, string) Json = ("Content-Type", "application/json");

    private Uri Api => graph.App.GetEndpoint(ResourceNames.Api);

    private static (string, string) Key(string key = "") => ("x-idempotency-key", key.Length > 0 ? key : Guid.NewGuid().ToString());

    private (string, string)[] Admin(params (string, string)[] headers) =>
        graph.App.AdminApiKey is { } key ? [.. headers, ("x-api-key", key)] : headers;

    public static TheoryData<string, string, string, int, string> Refusals => new()
    {
        // name, method, path, status, what the error says
        { "invalid UTF-8 in userId", "POST", "/order", 400, "Request body is not valid UTF-8" },
        { "lone surrogate in userId", "POST", "/order", 400, "userId must be valid Unicode text" },
        { "two idempotency keys", "POST", "/order", 400, "Send exactly one x-idempotency-key header" },
        { "idempotency key with a Latin-1 byte", "POST", "/order", 400, "x-idempotency-key must be printable ASCII" },
        { "body over 16 KiB", "POST", "/order", 413, "Request body must not exceed 16384 bytes" },
        { "invalid UTF-8 in productId", "POST", "/init", 400, "Request body is not valid UTF-8" },
        { "overflowing quantity", "POST", "/init", 400, "quantity must be a non-negative integer" },
        { "lone surrogate in userId", "POST", "/cancel/0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", 400, "userId must be valid Unicode text" },
        { "order id not a UUID", "POST", "/cancel/not-a-uuid", 400, "orderId must be a UUID" },
        { "product id not valid UTF-8", "GET", "/inventory/%FF%FE", 400, "productId may contain only" },
        { "order id not a UUID", "GET", "/status/%ED%A0%80", 400, "orderId must be a UUID" },
        { "not a WebSocket", "GET", "/events?productId=%7Bp%7D", 400, "WebSocket endpoint" },
    };

    [Theory]
    [MemberData(nameof(Refusals))]
    public Task Malformed_input_is_a_4xx_with_the_specs_error_body(string name, string method, string path, int status, string says) =>
        graph.WithLogsOnFailureAsync(output, async () =>
        {
            var (body, headers) = (name, path) switch
            {
                ("invalid UTF-8 in userId", _) => (InvalidUtf8UserId, new[] { Json, Key() }),
                ("lone surrogate in userId", "/order") => ("""{"productId":"p","userId":"\ud800"}"""u8.ToArray(), [Json, Key()]),
                ("lone surrogate in userId", _) => ("""{"userId":"x\udfff"}"""u8.ToArray(), [Json]),
                ("two idempotency keys", _) => ("""{"productId":"p","userId":"u"}"""u8.ToArray(), [Json, Key("k1"), Key("k2")]),
                ("idempotency key with a Latin-1 byte", _) => ("""{"productId":"p","userId":"u"}"""u8.ToArray(), [Json, Key("cl\u00e9")]),
                ("body over 16 KiB", _) => (Encoding.UTF8.GetBytes($$"""{"productId":"p","userId":"{{new string('u', 17_000)}}"}"""), [Json, Key()]),
                ("invalid UTF-8 in productId", _) => ([.. "{\"productId\":\"p"u8, 0xC0, 0xAF, .. "\",\"quantity\":1}"u8], Admin(Json)),
                ("overflowing quantity", _) => ("""{"productId":"p","quantity":1e400}"""u8.ToArray(), Admin(Json)),
                ("order id not a UUID", "/cancel/not-a-uuid") => ("""{"userId":"u"}"""u8.ToArray(), [Json]),
                _ => ((byte[]?)null, Array.Empty<(string, string)>()),
            };

            var answer = await RawHttp.SendAsync(Api, method, path, body, headers);

            Assert.True(answer.Status == status, $"{name}: {answer}");
            Assert.StartsWith("application/json", answer.ContentType);
            var json = answer.Json();
            Assert.Equal(JsonValueKind.Object, json.ValueKind);
            Assert.Equal(["error"], json.EnumerateObject().Select(property => property.Name));
            Assert.Contains(says, json.GetProperty("error").GetString());
        });

    [Fact]
    public Task A_bad_product_id_on_the_events_socket_is_refused_before_the_upgrade() =>
        graph.WithLogsOnFailureAsync(output, async () =>
        {
            using var socket = new ClientWebSocket();
            socket.Options.CollectHttpResponseDetails = true;
            var endpoint = new UriBuilder(Api) { Scheme = "ws", Path = "/events", Query = "productId=%7Bp%7D" }.Uri;

            await Assert.ThrowsAsync<WebSocketException>(() => socket.ConnectAsync(endpoint, CancellationToken.None));

            Assert.Equal(HttpStatusCode.BadRequest, socket.HttpStatusCode);
        });

    [Fact]
    public Task An_admission_token_signed_with_the_real_key_but_expiring_after_year_9999_is_a_403() =>
        graph.WithLogsOnFailureAsync(output, async () =>
        {
            var parameter = graph.App.App.Services.GetRequiredService<DistributedApplicationModel>().Resources
                .OfType<ParameterResource>().Single(resource => resource.Name == "admission-signing-key");
            var key = Convert.FromBase64String((await parameter.GetValueAsync(CancellationToken.None))!);
            var payload = "p|1|253402300800000"u8.ToArray();
            var token = $"{System.Buffers.Text.Base64Url.EncodeToString(payload)}.{System.Buffers.Text.Base64Url.EncodeToString(HMACSHA256.HashData(key, payload))}";

            var answer = await RawHttp.SendAsync(Api, "POST", "/order", """{"productId":"p","userId":"u"}"""u8.ToArray(),
                Json, Key(), (AdmissionToken.HeaderName, token));

            Assert.True(answer.Status == 403, answer.ToString());
            Assert.StartsWith("application/json", answer.ContentType);
            Assert.Equal("error", answer.Json().GetProperty("status").GetString());
            Assert.Equal("Malformed admission token", answer.Json().GetProperty("msg").GetString());
        });

    [Fact]
    public Task A_body_streamed_past_16_KiB_without_a_length_is_a_413_in_the_specs_shape() =>
        graph.WithLogsOnFailureAsync(output, async () =>
        {
            using var api = graph.App.CreateHttpClient(ResourceNames.Api);
            var body = Encoding.UTF8.GetBytes($$"""{"productId":"p","userId":"{{new string('u', 17_000)}}"}""");
            using var request = new HttpRequestMessage(HttpMethod.Post, "/order") { Content = new StreamContent(new UnseekableStream(body)) };
            request.Content.Headers.ContentType = new("application/json");
            request.Headers.Add("x-idempotency-key", Guid.NewGuid().ToString());

            using var answer = await api.SendAsync(request);

            Assert.Null(request.Content.Headers.ContentLength);
            Assert.Equal(HttpStatusCode.RequestEntityTooLarge, answer.StatusCode);
            Assert.Equal("Request body must not exceed 16384 bytes", (await answer.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error").GetString());
        });

    /// <summary>Sent chunked: HttpClient cannot know its length.</summary>
    private sealed class UnseekableStream(byte[] bytes) : MemoryStream(bytes, writable: false)
    {
        public override bool CanSeek => false;
    }

    [Theory]
    [InlineData("GET", "/no-such-route", 404)]
    [InlineData("GET", "/order", 405)]
    [InlineData("DELETE", "/inventory/p", 405)]
    public Task Routing_errors_are_problem_details(string method, string path, int status) =>
        graph.WithLogsOnFailureAsync(output, async () =>
        {
            var answer = await RawHttp.SendAsync(Api, method, path);

            Assert.True(answer.Status == status, answer.ToString());
            Assert.StartsWith("application/problem+json", answer.ContentType);
            Assert.Equal(status, answer.Json().GetProperty("status").GetInt32());
            Assert.False(string.IsNullOrEmpty(answer.Json().GetProperty("title").GetString()));
        });

    [Fact]
    public Task A_user_id_with_separators_is_found_and_cancelled_while_its_order_is_on_the_way_to_postgres() =>
        graph.WithLogsOnFailureAsync(output, async () =>
        {
            using var api = graph.App.CreateHttpClient(ResourceNames.Api);
            var productId = $"sep-{Guid.NewGuid():N}"[..24];
            using (var init = new HttpRequestMessage(HttpMethod.Post, "/init") { Content = JsonContent.Create(new { productId, quantity = 3 }) })
            {
                if (graph.App.AdminApiKey is { } adminKey)
                {
                    init.Headers.Add("x-api-key", adminKey);
                }
                Assert.Equal(HttpStatusCode.OK, (await api.SendAsync(init)).StatusCode);
            }
            const string userId = "a|b|1764000000000";

            // A frozen persister keeps the order out of PostgreSQL: only the Redis index knows it.
            var persister = graph.App.ProcessIdOf(ResourceNames.Persister);
            var frozen = ProcessTree.DescendantsOf(persister).Prepend(persister).ToList();
            frozen.ForEach(pid => ProcessTree.Signal(pid, ProcessTree.SigStop));
            try
            {
                using var order = new HttpRequestMessage(HttpMethod.Post, "/order") { Content = JsonContent.Create(new { productId, userId }) };
                order.Headers.Add("x-idempotency-key", Guid.NewGuid().ToString());
                using var accepted = await api.SendAsync(order);
                Assert.Equal(HttpStatusCode.OK, accepted.StatusCode);
                var orderId = (await accepted.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("orderId").GetGuid();

                var status = await Eventually.UntilAsync(() => api.GetAsync($"/status/{orderId}"),
                    response => response.StatusCode != HttpStatusCode.NotFound, "the index has the order");
                Assert.Equal(HttpStatusCode.OK, status.StatusCode);
                var found = await status.Content.ReadFromJsonAsync<JsonElement>();
                Assert.False(found.GetProperty("persisted").GetBoolean());
                Assert.Equal(userId, found.GetProperty("userId").GetString());

                using var cancelled = await api.PostAsJsonAsync($"/cancel/{orderId}", new { userId });
                Assert.Equal(HttpStatusCode.OK, cancelled.StatusCode);
                Assert.Equal("cancelled", (await cancelled.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("status").GetString());

            }
            finally
            {
                frozen.ForEach(pid => ProcessTree.Signal(pid, ProcessTree.SigCont));
            }
        });
}
