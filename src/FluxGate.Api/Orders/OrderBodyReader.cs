using System.Buffers;
using System.Globalization;
using System.Text.Json;
using System.Text.Unicode;
using FluxGate.Api.Http;
using FluxGate.Clients;
using FluxGate.Contracts;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace FluxGate.Api.Orders;

/// <summary>
/// <c>POST /order</c>'s body, read by hand: the one body of FluxGate that ASP.NET Core does not bind. On the order path,
/// binding (with the UTF-8 check and the rules filter that keep its answers exact) cost 8–14 µs of api CPU and about
/// 1.3 KB per accepted order more than this reader in an A/B of the whole graph (bench/README.md, "Request bodies"), where
/// the limit was 2 µs. It answers exactly as the bound bodies do: the same refusals (<see cref="RequestBodyRefusal"/>,
/// <see cref="JsonTextConverter"/>) and the same rules (<see cref="OrderRequest.Problem"/>).
/// </summary>
public static class OrderBodyReader
{
    /// <summary>
    /// Documents the body in OpenAPI as binding would. Unlike <c>Accepts&lt;T&gt;()</c> it adds no content-type routing
    /// constraint, so a wrong Content-Type reaches the reader and gets the JSON 415, not routing's empty one.
    /// </summary>
    public static RouteHandlerBuilder WithOrderBody(this RouteHandlerBuilder endpoint) =>
        endpoint.AddOpenApiOperationTransformer(async (operation, context, cancellationToken) =>
        {
            operation.RequestBody = new OpenApiRequestBody
            {
                Required = true,
                Content = new Dictionary<string, OpenApiMediaType>
                {
                    ["application/json"] = new() { Schema = await context.GetOrCreateSchemaAsync(typeof(OrderRequest), null, cancellationToken) },
                },
            };
        });

    /// <summary>
    /// Answered without reading the body: Kestrel will not drain more than its limit to keep the connection, so the answer
    /// says the connection closes (else a client could send its next request on a connection about to go).
    /// </summary>
    private static ApiError TooLarge(HttpRequest request)
    {
        request.HttpContext.Response.Headers.Connection = "close";
        return new(StatusCodes.Status413PayloadTooLarge, RequestBodyRefusal.TooLarge(request.HttpContext));
    }

    /// <summary>The body into a pooled buffer (at most <see cref="InputRules.MaxRequestBodyBytes"/>), then <see cref="Parse"/>.</summary>
    public static async ValueTask<(OrderRequest? Order, ApiError? Error)> ReadAsync(HttpRequest request)
    {
        if (!request.HasJsonContentType())
        {
            return (null, ApiError.NotJson);
        }
        const int MaxBytes = InputRules.MaxRequestBodyBytes;
        if (request.ContentLength > MaxBytes)
        {
            return (null, TooLarge(request));
        }
        var buffer = ArrayPool<byte>.Shared.Rent(request.ContentLength is > 0 and var declared ? (int)declared : 512);
        try
        {
            var length = 0;
            int read;
            do
            {
                if (length == buffer.Length)
                {
                    var larger = ArrayPool<byte>.Shared.Rent(Math.Min(buffer.Length * 2, MaxBytes + 1));
                    buffer.AsSpan(0, length).CopyTo(larger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = larger;
                }
                read = await request.Body.ReadAsync(buffer.AsMemory(length, Math.Min(buffer.Length, MaxBytes + 1) - length));
                length += read;
                if (length > MaxBytes)
                {
                    return (null, TooLarge(request));
                }
            }
            while (read > 0);
            if (length == 0)
            {
                return (null, ApiError.BadRequest(Utf8RequestBody.Empty));
            }
            var order = Parse(buffer.AsSpan(0, length), out var error);
            return (order, error);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>The fields as sent (either may be missing: a signed-in shopper may leave out <c>userId</c>), or what is wrong.</summary>
    public static OrderRequest? Parse(ReadOnlySpan<byte> utf8Json, out ApiError? error)
    {
        // Utf8JsonReader checks the syntax but not the UTF-8 inside strings: the body is checked whole first.
        if (!Utf8.IsValid(utf8Json))
        {
            error = ApiError.BadRequest(Utf8RequestBody.NotUtf8);
            return null;
        }
        string? productId = null, userId = null;
        var reader = new Utf8JsonReader(utf8Json, new JsonReaderOptions { MaxDepth = 16 });
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                error = ApiError.BadRequest(RequestBodyRefusal.NotAnObject);
                return null;
            }
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var problem = reader.ValueTextEquals("productId"u8) ? ReadText(ref reader, "productId", out productId)
                    : reader.ValueTextEquals("userId"u8) ? ReadText(ref reader, "userId", out userId)
                    : Skip(ref reader);
                if (problem is not null)
                {
                    error = ApiError.BadRequest(problem);
                    return null;
                }
            }
            if (reader.TokenType != JsonTokenType.EndObject || reader.Read())
            {
                error = ApiError.BadRequest(RequestBodyRefusal.MalformedJson);
                return null;
            }
        }
        catch (JsonException)
        {
            error = ApiError.BadRequest(RequestBodyRefusal.MalformedJson);
            return null;
        }
        var order = new OrderRequest(productId, userId);
        error = order.Problem() is { } broken ? ApiError.BadRequest(broken) : null;
        return error is null ? order : null;
    }

    /// <summary>As <see cref="JsonTextConverter"/>: a JSON string holding text, else the rule naming the field.</summary>
    private static string? ReadText(ref Utf8JsonReader reader, string field, out string? value)
    {
        value = null;
        reader.Read();
        if (reader.TokenType != JsonTokenType.String)
        {
            reader.Skip();
            return string.Format(CultureInfo.InvariantCulture, JsonTextConverter.NotAString, field);
        }
        try
        {
            value = reader.GetString();
            return null;
        }
        catch (InvalidOperationException)
        {
            return string.Format(CultureInfo.InvariantCulture, JsonTextConverter.NotText, field);
        }
    }

    private static string? Skip(ref Utf8JsonReader reader)
    {
        reader.Read();
        reader.Skip();
        return null;
    }
}
