using System.Text.Json;
using FluxGate.Clients;

namespace FluxGate.Api.Http;

/// <summary>
/// One of the order path's answers, encoded once by the source-generated serializer: the body never changes
/// except for the order's id, which is written into its slot. Sent with a Content-Length (no chunking) and
/// without serializing per request.
/// </summary>
public sealed class EncodedStatus
{
    internal const string ContentType = "application/json; charset=utf-8";

    // The serializer writes a Guid as 36 characters; Guid.Empty marks where an order's id goes.
    private static ReadOnlySpan<byte> IdSlot => "00000000-0000-0000-0000-000000000000"u8;

    private readonly byte[] _utf8;
    private readonly int _idOffset;
    private readonly StatusJsonResult? _withoutId;

    private EncodedStatus(int statusCode, StatusResponse body)
    {
        StatusCode = statusCode;
        _utf8 = JsonSerializer.SerializeToUtf8Bytes(body, ApiJsonContext.Default.StatusResponse);
        _idOffset = body.OrderId is null ? -1 : _utf8.AsSpan().IndexOf(IdSlot);
        _withoutId = body.OrderId is null ? new StatusJsonResult(this, Guid.Empty) : null;
    }

    public int StatusCode { get; }

    public static EncodedStatus Of(int statusCode, string status, string msg) => new(statusCode, new StatusResponse(status, msg));

    public static EncodedStatus WithOrderId(int statusCode, string status, string msg) => new(statusCode, new StatusResponse(status, msg, Guid.Empty));

    /// <summary>The answer of a body without an order id (one shared instance).</summary>
    public StatusJsonResult Result() =>
        _withoutId ?? throw new InvalidOperationException("This answer carries an order id: use Result(orderId).");

    public StatusJsonResult Result(Guid orderId) =>
        _idOffset >= 0 ? new StatusJsonResult(this, orderId) : throw new InvalidOperationException("This answer has no order id.");

    internal Task WriteAsync(HttpResponse response, Guid orderId)
    {
        response.StatusCode = StatusCode;
        response.ContentType = ContentType;
        response.ContentLength = _utf8.Length;

        var writer = response.BodyWriter;
        Write(writer.GetSpan(_utf8.Length), orderId);
        writer.Advance(_utf8.Length);
        var flush = writer.FlushAsync();
        return flush.IsCompletedSuccessfully ? Task.CompletedTask : flush.AsTask();
    }

    private void Write(Span<byte> destination, Guid orderId)
    {
        _utf8.CopyTo(destination);
        if (_idOffset >= 0 && !orderId.TryFormat(destination.Slice(_idOffset, IdSlot.Length), out _, "D"))
        {
            throw new InvalidOperationException("An order id did not fit its slot.");
        }
    }
}

/// <summary>An <see cref="EncodedStatus"/> answer, with the order's id when its body carries one.</summary>
public sealed class StatusJsonResult(EncodedStatus encoded, Guid orderId) : IResult, IStatusCodeHttpResult, IContentTypeHttpResult
{
    public int? StatusCode => encoded.StatusCode;

    public string ContentType => EncodedStatus.ContentType;

    public Task ExecuteAsync(HttpContext httpContext) => encoded.WriteAsync(httpContext.Response, orderId);
}
