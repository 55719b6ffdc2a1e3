using System.Buffers;
using FluxGate.Contracts;

namespace FluxGate.Api.Http;

/// <summary>
/// A JSON request body read into a pooled buffer, capped at <see cref="MaxBytes"/>. Dispose returns the buffer.
/// Reading by hand (instead of model binding) lets every malformed request get the spec's JSON error, not a 500.
/// </summary>
public readonly struct JsonRequestBody : IDisposable
{
    public const int MaxBytes = InputRules.MaxRequestBodyBytes;

    private readonly byte[]? _buffer;
    private readonly int _length;

    private JsonRequestBody(byte[]? buffer, int length, ApiError? error)
    {
        _buffer = buffer;
        _length = length;
        Error = error;
    }

    public ApiError? Error { get; }

    public ReadOnlySpan<byte> Utf8 => _buffer.AsSpan(0, _length);

    public delegate T? Parser<T>(ReadOnlySpan<byte> utf8Json, out ApiError? error) where T : class;

    /// <summary>Reads the body and parses it: either the value or the error that says what is wrong.</summary>
    public static async ValueTask<(T? Value, ApiError? Error)> ReadAsync<T>(HttpRequest request, Parser<T> parse) where T : class
    {
        using var body = await ReadAsync(request);
        if (body.Error is { } error)
        {
            return (null, error);
        }
        var value = parse(body.Utf8, out var parseError);
        return (value, parseError);
    }

    public static async ValueTask<JsonRequestBody> ReadAsync(HttpRequest request)
    {
        if (!request.HasJsonContentType())
        {
            return new JsonRequestBody(null, 0, ApiError.NotJson);
        }
        if (request.ContentLength > MaxBytes)
        {
            return new JsonRequestBody(null, 0, ApiError.TooLarge);
        }

        var buffer = ArrayPool<byte>.Shared.Rent(request.ContentLength is > 0 and var declared ? (int)declared : 512);
        var length = 0;
        while (true)
        {
            if (length == buffer.Length)
            {
                var larger = ArrayPool<byte>.Shared.Rent(Math.Min(buffer.Length * 2, MaxBytes + 1));
                buffer.AsSpan(0, length).CopyTo(larger);
                ArrayPool<byte>.Shared.Return(buffer);
                buffer = larger;
            }
            var read = await request.Body.ReadAsync(buffer.AsMemory(length, Math.Min(buffer.Length, MaxBytes + 1) - length));
            if (read == 0)
            {
                break;
            }
            length += read;
            if (length > MaxBytes)
            {
                ArrayPool<byte>.Shared.Return(buffer);
                return new JsonRequestBody(null, 0, ApiError.TooLarge);
            }
        }
        return length == 0
            ? new JsonRequestBody(buffer, 0, ApiError.EmptyBody)
            : new JsonRequestBody(buffer, length, null);
    }

    public void Dispose()
    {
        if (_buffer is not null)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
        }
    }
}
