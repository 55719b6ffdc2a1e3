using System.Text.Json;
using FluxGate.Api.Http;
using FluxGate.Contracts;

namespace FluxGate.Api.Orders;

/// <summary>The body of <c>POST /order</c>: <c>{"productId","userId"}</c>.</summary>
public sealed record OrderRequest(string ProductId, string UserId)
{
    /// <summary>Parses and validates; on failure <paramref name="error"/> says what is wrong.</summary>
    public static OrderRequest? Parse(ReadOnlySpan<byte> utf8Json, out ApiError? error) => Parse(utf8Json, subject: null, out error);

    /// <summary>
    /// As <see cref="Parse(ReadOnlySpan{byte}, out ApiError?)"/> for a signed-in shopper: <c>userId</c> may be left out and is
    /// then <paramref name="subject"/>; one that is sent is kept as sent (the caller refuses one that differs).
    /// </summary>
    public static OrderRequest? Parse(ReadOnlySpan<byte> utf8Json, string? subject, out ApiError? error)
    {
        var fields = new Fields();
        error = JsonObjectReader.Read(utf8Json, ref fields, static (ref Utf8JsonReader reader, ref Fields state) =>
        {
            if (reader.ValueTextEquals("productId"u8))
            {
                return JsonObjectReader.ReadString(ref reader, "productId", out state.ProductId);
            }
            if (reader.ValueTextEquals("userId"u8))
            {
                return JsonObjectReader.ReadString(ref reader, "userId", out state.UserId);
            }
            return null;
        });
        if (error is not null)
        {
            return null;
        }
        fields.UserId ??= subject;
        if ((InputRules.CheckProductId(fields.ProductId) ?? InputRules.CheckUserId(fields.UserId)) is { } invalid)
        {
            error = ApiError.BadRequest(invalid);
            return null;
        }
        return new OrderRequest(fields.ProductId!, fields.UserId!);
    }

    private struct Fields
    {
        public string? ProductId;
        public string? UserId;
    }
}
