using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using FluxGate.Api.Redis;
using FluxGate.AppHost;
using FluxGate.Contracts;
using FluxGate.Tests.Infrastructure;
using StackExchange.Redis;

namespace FluxGate.Tests.WaitingRoom;

/// <summary>A shopper's-eye view of the running graph: the API, the waiting room, and Redis to read the stock.</summary>
internal sealed class ShopDriver : IAsyncDisposable
{
    private readonly FluxGateGraph _app;
    private ConnectionMultiplexer? _redis;

    public ShopDriver(FluxGateGraph app)
    {
        _app = app;
        Api = app.CreateHttpClient(ResourceNames.Api);
        Room = app.CreateHttpClient(ResourceNames.WaitingRoom);
    }

    public HttpClient Api { get; }

    public HttpClient Room { get; }

    public Uri RoomUrl => _app.GetEndpoint(ResourceNames.WaitingRoom);

    public async Task<string> NewProductAsync(long quantity)
    {
        var productId = $"wr-{Guid.NewGuid():N}"[..24];
        using var request = new HttpRequestMessage(HttpMethod.Post, "/init")
        {
            Content = JsonContent.Create(new { productId, quantity }),
        };
        if (_app.AdminApiKey is { } key)
        {
            request.Headers.Add("x-api-key", key);
        }
        using var response = await Api.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return productId;
    }

    /// <summary>A sale that opens at <paramref name="startsAt"/>.</summary>
    public async Task InitAsync(string productId, long quantity, DateTimeOffset startsAt)
    {
        var start = startsAt.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", System.Globalization.CultureInfo.InvariantCulture);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/init") { Content = JsonContent.Create(new { productId, quantity, startsAt = start }) };
        if (_app.AdminApiKey is { } key)
        {
            request.Headers.Add("x-api-key", key);
        }
        using var response = await Api.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    public async Task SetStockAsync(string productId, long quantity)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/init") { Content = JsonContent.Create(new { productId, quantity }) };
        if (_app.AdminApiKey is { } key)
        {
            request.Headers.Add("x-api-key", key);
        }
        using var response = await Api.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    public async Task<long> StockAsync(string productId)
    {
        _redis ??= await ConnectionMultiplexer.ConnectAsync(_app.GetConnectionString("redis"));
        return (long)await _redis.GetDatabase().StringGetAsync(RedisKeys.Stock(productId));
    }

    public async Task<ApiAnswer> OrderAsync(string productId, string userId, string idempotencyKey, string? admissionToken = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/order") { Content = JsonContent.Create(new { productId, userId }) };
        request.Headers.Add("x-idempotency-key", idempotencyKey);
        if (admissionToken is not null)
        {
            request.Headers.Add(AdmissionToken.HeaderName, admissionToken);
        }
        using var response = await Api.SendAsync(request);
        return await ApiAnswer.ReadAsync(response);
    }

    /// <summary>
    /// Sends waves of parallel orders (unique users and keys) until the rate limiter has sent at least
    /// <paramref name="wanted"/> of them to the waiting room.
    /// </summary>
    public async Task<Flood> FloodUntilRedirectedAsync(string productId, int wanted)
    {
        var redirected = new List<Redirected>();
        var accepted = 0;
        for (var wave = 0; wave < 40 && redirected.Count < wanted; wave++)
        {
            var answers = await Task.WhenAll(Enumerable.Range(0, 100).Select(async i =>
            {
                var userId = $"user-{wave}-{i}";
                var key = Guid.NewGuid().ToString();
                return (userId, key, answer: await OrderAsync(productId, userId, key));
            }));
            foreach (var (userId, key, answer) in answers)
            {
                if (answer.Status == HttpStatusCode.Found)
                {
                    redirected.Add(new Redirected(userId, key, answer.Location!));
                }
                else
                {
                    Assert.Equal(HttpStatusCode.OK, answer.Status);
                    accepted++;
                }
            }
        }
        Assert.True(redirected.Count >= wanted, $"the API redirected only {redirected.Count} orders");
        return new Flood(redirected, accepted);
    }

    /// <summary><paramref name="count"/> anonymous shoppers take tickets: a line for the next ones to wait in.</summary>
    public async Task BuildLineAsync(string productId, int count)
    {
        using var gate = new SemaphoreSlim(32);
        await Task.WhenAll(Enumerable.Range(0, count).Select(async _ =>
        {
            await gate.WaitAsync();
            try
            {
                var (status, body) = await JoinAsync(productId);
                Assert.Equal(HttpStatusCode.OK, status);
                Assert.Equal("waiting", body.GetProperty("status").GetString());
            }
            finally
            {
                gate.Release();
            }
        }));
    }

    public async Task<(HttpStatusCode Status, JsonElement Body)> JoinAsync(string productId, string? userId = null, string? idempotencyKey = null)
    {
        using var response = userId is null
            ? await Room.PostAsync($"/api/queue/{productId}/join", null)
            : await Room.PostAsJsonAsync($"/api/queue/{productId}/join", new { userId, idempotencyKey });
        return (response.StatusCode, await ReadJsonAsync(response));
    }

    public async Task<(HttpStatusCode Status, JsonElement Body)> TicketAsync(string productId, string ticket)
    {
        using var response = await Room.GetAsync($"/api/queue/{productId}/tickets/{ticket}");
        return (response.StatusCode, await ReadJsonAsync(response));
    }

    public async Task<ApiAnswer> HandOffAsync(string productId, string ticket, string userId, string idempotencyKey)
    {
        using var response = await Room.PostAsJsonAsync($"/api/queue/{productId}/tickets/{ticket}/order", new { userId, idempotencyKey });
        return await ApiAnswer.ReadAsync(response);
    }

    public async Task<(HttpStatusCode Status, JsonElement Body)> AdmitAsync(string productId, string ticket, string returnUrl)
    {
        using var response = await Room.PostAsJsonAsync($"/api/queue/{productId}/tickets/{ticket}/admission", new { returnUrl });
        return (response.StatusCode, await ReadJsonAsync(response));
    }

    public static async Task<JsonElement> ReadJsonAsync(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        return text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone();
    }

    public async ValueTask DisposeAsync()
    {
        Api.Dispose();
        Room.Dispose();
        if (_redis is not null)
        {
            await _redis.DisposeAsync();
        }
    }
}

internal sealed record Redirected(string UserId, string IdempotencyKey, Uri Location);

internal sealed record Flood(IReadOnlyList<Redirected> Redirected, int Accepted);

/// <summary>Status, Location and JSON body of one answer.</summary>
internal sealed record ApiAnswer(HttpStatusCode Status, Uri? Location, JsonElement Body)
{
    public string? Field(string name) =>
        Body.ValueKind == JsonValueKind.Object && Body.TryGetProperty(name, out var value) ? value.ToString() : null;

    public static async Task<ApiAnswer> ReadAsync(HttpResponseMessage response) =>
        new(response.StatusCode, response.Headers.Location, await ShopDriver.ReadJsonAsync(response));

    public override string ToString() => $"{(int)Status} {Body}";
}
