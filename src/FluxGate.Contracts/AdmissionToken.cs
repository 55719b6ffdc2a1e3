using System.Buffers.Text;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace FluxGate.Contracts;

/// <summary>
/// A short-lived, HMAC-SHA256-signed pass that the waiting room hands to a shopper whose ticket is served.
/// The API accepts it once (header <c>x-admission-token</c>) in place of a rate-bucket token.
/// Wire form: <c>base64url(productId|ticket|expiresAtUnixMs) "." base64url(hmac)</c>.
/// One-time use is enforced by the API in Redis, not here.
/// </summary>
public sealed record AdmissionToken(string ProductId, long Ticket, DateTimeOffset ExpiresAt)
{
    public const string HeaderName = "x-admission-token";

    // The last millisecond of year 9999: a signed expiry beyond it is no date at all (and DateTimeOffset throws on it).
    private static readonly long MaxUnixTimeMilliseconds = DateTimeOffset.MaxValue.ToUnixTimeMilliseconds();

    public string Sign(ReadOnlySpan<byte> signingKey)
    {
        var payload = Encoding.UTF8.GetBytes(
            string.Create(CultureInfo.InvariantCulture, $"{ProductId}|{Ticket}|{ExpiresAt.ToUnixTimeMilliseconds()}"));
        return $"{Base64Url.EncodeToString(payload)}.{Base64Url.EncodeToString(HMACSHA256.HashData(signingKey, payload))}";
    }

    /// <summary>Checks signature and expiry. <paramref name="error"/> says why a token is refused.</summary>
    public static bool TryVerify(
        string? token,
        ReadOnlySpan<byte> signingKey,
        DateTimeOffset now,
        [NotNullWhen(true)] out AdmissionToken? admission,
        [NotNullWhen(false)] out string? error)
    {
        admission = null;
        var dot = token?.IndexOf('.') ?? -1;
        if (token is null || dot <= 0 || dot == token.Length - 1 || token.Length > 512)
        {
            error = "Malformed admission token";
            return false;
        }

        byte[] payload, signature;
        try
        {
            payload = Base64Url.DecodeFromChars(token.AsSpan(0, dot));
            signature = Base64Url.DecodeFromChars(token.AsSpan(dot + 1));
        }
        catch (FormatException)
        {
            error = "Malformed admission token";
            return false;
        }

        if (!CryptographicOperations.FixedTimeEquals(HMACSHA256.HashData(signingKey, payload), signature))
        {
            error = "Invalid admission token signature";
            return false;
        }

        var parts = Encoding.UTF8.GetString(payload).Split('|');
        if (parts.Length != 3
            || parts[0].Length == 0
            || !long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var ticket)
            || !long.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out var expiresMs)
            || expiresMs > MaxUnixTimeMilliseconds)
        {
            error = "Malformed admission token";
            return false;
        }

        var expiresAt = DateTimeOffset.FromUnixTimeMilliseconds(expiresMs);
        if (expiresAt <= now)
        {
            error = "Admission token expired";
            return false;
        }

        admission = new AdmissionToken(parts[0], ticket, expiresAt);
        error = null;
        return true;
    }
}
