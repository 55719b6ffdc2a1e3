using System.Net.Http.Headers;
using System.Text.Json;
using FluxGate.Api.Extensions;
using FluxGate.Api.Http;
using FluxGate.Api.Inventory;
using FluxGate.Api.Orders;
using FluxGate.Clients;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.ModelBinding;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Hosting;

namespace FluxGate.Tests.Api;

/// <summary>
/// The api's request-body plumbing, in memory: its JSON options and error mapping (<c>AddApiJson</c>), the UTF-8 check and
/// the body rules, behind endpoints that echo what they read: <c>/init</c> and <c>/cancel</c> bound as the api binds them,
/// <c>/order</c> through its own reader (<see cref="OrderBodyReader"/>), so that one set of tests holds both to the same
/// answers. What the handlers do next is the graph tests' (Kestrel's 413 too: the test server has no body limit).
/// </summary>
public sealed class RequestBodyServer : IAsyncLifetime
{
    private WebApplication? _app;
    private HttpClient? _client;

    /// <summary>An answer: its status, and the spec's <c>{"error"}</c> when refused, else what the endpoint bound.</summary>
    public sealed record Answer(int Status, string? Error, JsonElement Body)
    {
        public override string ToString() => $"{Status} {Body}";
    }

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseTestServer();
        builder.AddApiJson();
        _app = builder.Build();
        _app.UseErrorMapping();
        _app.UseUtf8RequestBodies();
        _app.MapPost("/order", async Task<Results<Ok<OrderRequest>, JsonHttpResult<ErrorResponse>>> (HttpRequest request) =>
        {
            var (order, error) = await OrderBodyReader.ReadAsync(request);
            return order is not null ? TypedResults.Ok(order) : ApiResults.Error(error!);
        });
        _app.MapPost("/init", ([FromBody(EmptyBodyBehavior = EmptyBodyBehavior.Allow)] InitRequest init) => TypedResults.Ok(init))
            .WithRequestBodyRules();
        _app.MapPost("/cancel", ([FromBody(EmptyBodyBehavior = EmptyBodyBehavior.Allow)] CancelRequest cancel) => TypedResults.Ok(cancel))
            .WithRequestBodyRules();
        await _app.StartAsync();
        _client = _app.GetTestClient();
    }

    public Task<Answer> PostAsync(string path, string json) => PostAsync(path, System.Text.Encoding.UTF8.GetBytes(json));

    public async Task<Answer> PostAsync(string path, byte[] body, string? contentType = "application/json", bool declareLength = true)
    {
        using HttpContent content = declareLength ? new ByteArrayContent(body) : new StreamContent(new UnknownLengthStream(body));
        if (contentType is not null)
        {
            content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        }
        using var response = await _client!.PostAsync(path, content);
        var text = await response.Content.ReadAsStringAsync();
        var json = text.Length > 0 ? JsonDocument.Parse(text).RootElement.Clone() : default;
        var error = json.ValueKind == JsonValueKind.Object && json.TryGetProperty("error", out var message) ? message.GetString() : null;
        return new Answer((int)response.StatusCode, error, json);
    }

    public async Task DisposeAsync()
    {
        _client?.Dispose();
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }
    }

    /// <summary>A body sent without Content-Length (chunked), as a client that streams it would.</summary>
    private sealed class UnknownLengthStream(byte[] bytes) : MemoryStream(bytes, writable: false)
    {
        public override bool CanSeek => false;
    }
}
