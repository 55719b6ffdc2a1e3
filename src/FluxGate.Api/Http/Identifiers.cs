using System.Buffers;

namespace FluxGate.Api.Http;

/// <summary>What a product id, user id and idempotency key may look like.</summary>
public static class Identifiers
{
    public const int MaxProductIdLength = 64;
    public const int MaxUserIdLength = 128;
    public const int MaxIdempotencyKeyLength = 128;

    // No braces: the product id is the Redis hash tag of its keys.
    private static readonly SearchValues<char> ProductIdChars =
        SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._:-");

    /// <returns>Null when valid, else what is wrong.</returns>
    public static string? CheckProductId(string? productId) => productId switch
    {
        null or "" => "productId is required",
        { Length: > MaxProductIdLength } => $"productId must be at most {MaxProductIdLength} characters",
        _ when productId.AsSpan().ContainsAnyExcept(ProductIdChars) => "productId may contain only letters, digits and . _ : -",
        _ => null,
    };

    public static string? CheckUserId(string? userId) => userId switch
    {
        null or "" => "userId is required",
        { Length: > MaxUserIdLength } => $"userId must be at most {MaxUserIdLength} characters",
        _ when userId.AsSpan().ContainsAnyInRange('\0', '\u001f') || userId.Contains('\u007f') => "userId must not contain control characters",
        _ => null,
    };

    /// <summary>At most 128 printable ASCII characters (a UUID fits).</summary>
    public static string? CheckIdempotencyKey(string key) => key switch
    {
        { Length: > MaxIdempotencyKeyLength } => $"Invalid Idempotency Key: at most {MaxIdempotencyKeyLength} characters",
        _ when key.AsSpan().ContainsAnyExceptInRange('!', '~') => "Invalid Idempotency Key: printable ASCII only, no spaces",
        _ => null,
    };
}
