using System.Text.Json;
using FluxGate.Api.Http;
using FluxGate.Contracts;

namespace FluxGate.Api.Orders;

/// <summary>The body of <c>POST /cancel/{orderId}</c>: <c>{"userId"}</c>, the user who placed the order.</summary>
public sealed record CancelRequest(string UserId)
{
    public static CancelRequest? Parse(ReadOnlySpan<byte> utf8Json, out ApiError? error) => Parse(utf8Json, subject: null, out error);

    /// <summary>For a signed-in shopper: <c>userId</c> may be left out and is then <paramref name="subject"/>.</summary>
    public static CancelRequest? Parse(ReadOnlySpan<byte> utf8Json, string? subject, out ApiError? error)
    {
        string? userId = null;
        error = JsonObjectReader.Read(utf8Json, ref userId, static (ref Utf8JsonReader reader, ref string? state) =>
            reader.ValueTextEquals("userId"u8) ? JsonObjectReader.ReadString(ref reader, "userId", out state) : null);
        userId ??= subject;
        if (error is null && InputRules.CheckUserId(userId) is { } invalid)
        {
            error = ApiError.BadRequest(invalid);
        }
        return error is null ? new CancelRequest(userId!) : null;
    }
}
