using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

namespace FluxGate.Tests.Infrastructure;

/// <summary>An answer of the api or the room: status, <c>WWW-Authenticate</c> and the JSON body.</summary>
public sealed record ShopperAnswer(HttpStatusCode Status, string? Challenge, JsonElement Body, string Text)
{
    public string? Field(string name) =>
        Body.ValueKind == JsonValueKind.Object && Body.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String
            ? value.GetString()
            : null;

    public override string ToString() => $"{(int)Status} {Text} (WWW-Authenticate: {Challenge})";
}

/// <summary>Requests as a shopper sends them: optionally with <c>Authorization: Bearer</c>.</summary>
public static class ShopperRequests
{
    public static async Task<ShopperAnswer> SendAsync(this HttpClient client, HttpMethod method, string path, object? body = null,
        string? token = null, IReadOnlyDictionary<string, string>? headers = null)
    {
        using var request = new HttpRequestMessage(method, path);
        if (body is not null)
        {
            request.Content = JsonContent.Create(body);
        }
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }
        foreach (var (name, value) in headers ?? new Dictionary<string, string>())
        {
            request.Headers.Add(name, value);
        }
        using var response = await client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        var json = text.Length > 0 && text.TrimStart().StartsWith('{') ? JsonDocument.Parse(text).RootElement.Clone() : default;
        return new ShopperAnswer(response.StatusCode, response.Headers.WwwAuthenticate.ToString() is { Length: > 0 } challenge ? challenge : null,
            json, text);
    }

    public static Task<ShopperAnswer> OrderAsync(this HttpClient api, object body, string? token = null, string? idempotencyKey = null) =>
        api.SendAsync(HttpMethod.Post, "/order", body, token,
            new Dictionary<string, string> { ["x-idempotency-key"] = idempotencyKey ?? Guid.NewGuid().ToString() });

    public static async Task<string> NewProductAsync(this HttpClient api, long quantity, string? adminApiKey = null)
    {
        var productId = "auth-" + Guid.NewGuid().ToString("N")[..12];
        var answer = await api.SendAsync(HttpMethod.Post, "/init", new { productId, quantity },
            headers: adminApiKey is null ? null : new Dictionary<string, string> { ["x-api-key"] = adminApiKey });
        Assert.True(answer.Status == HttpStatusCode.OK, answer.ToString());
        return productId;
    }
}
