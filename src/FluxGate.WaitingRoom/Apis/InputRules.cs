namespace FluxGate.WaitingRoom.Apis;

/// <summary>The same input rules as the API's, checked before anything touches Redis.</summary>
public static class InputRules
{
    public const int MaxProductIdLength = 64;
    public const int MaxUserIdLength = 128;
    public const int MaxIdempotencyKeyLength = 128;

    /// <summary>1–64 of <c>[A-Za-z0-9._:-]</c>: never a brace, so the Redis hash tag stays the product's.</summary>
    public static string? CheckProductId(string? productId) =>
        string.IsNullOrEmpty(productId) ? "productId is required"
        : productId.Length > MaxProductIdLength ? $"productId must be at most {MaxProductIdLength} characters"
        : !productId.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or ':' or '-')
            ? "productId may contain only letters, digits, '.', '_', ':' and '-'"
        : null;

    public static string? CheckUserId(string? userId) =>
        string.IsNullOrEmpty(userId) ? "userId is required"
        : userId.Length > MaxUserIdLength ? $"userId must be at most {MaxUserIdLength} characters"
        : userId.Any(c => c is < ' ' or '\u007f') ? "userId must not contain control characters"
        : null;

    public static string? CheckIdempotencyKey(string? key) =>
        string.IsNullOrEmpty(key) ? "idempotencyKey is required"
        : key.Length > MaxIdempotencyKeyLength ? $"idempotencyKey must be at most {MaxIdempotencyKeyLength} characters"
        : !key.All(c => c is >= '!' and <= '~') ? "idempotencyKey must be printable ASCII, without spaces"
        : null;
}
