using System.Buffers;
using System.Text;

namespace FluxGate.Contracts;

/// <summary>
/// What a product id, user id, idempotency key and request body may look like: the one set of rules the api and the
/// waiting room both check before anything reaches Redis. Each check returns null when the value is valid, else what
/// is wrong, in words a client can act on.
/// </summary>
public static class InputRules
{
    public const int MaxProductIdLength = 64;
    public const int MaxUserIdLength = 128;
    public const int MaxIdempotencyKeyLength = 128;

    /// <summary>A JSON body of either service; far above any valid one (a few hundred bytes).</summary>
    public const int MaxRequestBodyBytes = 16 * 1024;

    // No braces: the product id is the Redis hash tag of its keys.
    private static readonly SearchValues<char> ProductIdChars =
        SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._:-");

    // C0, DEL and C1: what char.IsControl means.
    private static readonly SearchValues<char> ControlChars =
        SearchValues.Create(Enumerable.Range(0, 0xA0).Where(c => char.IsControl((char)c)).Select(c => (char)c).ToArray());

    /// <summary>1–64 of <c>A–Z a–z 0–9 . _ : -</c>.</summary>
    public static string? CheckProductId(string? productId) => productId switch
    {
        null or "" => "productId is required",
        { Length: > MaxProductIdLength } => $"productId must be at most {MaxProductIdLength} characters",
        _ when productId.AsSpan().ContainsAnyExcept(ProductIdChars) => "productId may contain only letters, digits and . _ : -",
        _ => null,
    };

    /// <summary>
    /// 1–128 characters of any Unicode text but control characters. An unpaired surrogate is not text: it has no UTF-8
    /// form, so it could not round-trip through Redis, Kafka and PostgreSQL.
    /// </summary>
    public static string? CheckUserId(string? userId) => userId switch
    {
        null or "" => "userId is required",
        { Length: > MaxUserIdLength } => $"userId must be at most {MaxUserIdLength} characters",
        _ when userId.AsSpan().ContainsAny(ControlChars) => "userId must not contain control characters",
        _ when !Ascii.IsValid(userId) && !IsValidText(userId) => "userId must be valid Unicode text (no unpaired surrogates)",
        _ => null,
    };

    /// <summary>1–128 printable ASCII characters (a UUID fits); <paramref name="name"/> is how the client sent it.</summary>
    public static string? CheckIdempotencyKey(string? key, string name = "idempotencyKey") => key switch
    {
        null or "" => $"{name} is required",
        { Length: > MaxIdempotencyKeyLength } => $"{name} must be at most {MaxIdempotencyKeyLength} characters",
        _ when key.AsSpan().ContainsAnyExceptInRange('!', '~') => $"{name} must be printable ASCII, without spaces",
        _ => null,
    };

    private static bool IsValidText(string value)
    {
        var rest = value.AsSpan();
        while (!rest.IsEmpty)
        {
            if (Rune.DecodeFromUtf16(rest, out _, out var consumed) != OperationStatus.Done)
            {
                return false;
            }
            rest = rest[consumed..];
        }
        return true;
    }
}
