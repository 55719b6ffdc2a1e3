using System.Buffers.Text;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace FluxGate.WaitingRoom.Queue;

/// <summary>
/// A ticket as the shopper carries it (URL, JSON): <c>{number}.{mac}</c>. Ticket numbers are consecutive, so a bare
/// number in a URL would let anyone claim ticket 1; the MAC makes a handle unforgeable without any Redis state.
/// </summary>
public sealed class TicketHandles
{
    private const int MacBytes = 16;
    private readonly byte[] _key;

    public TicketHandles(ReadOnlySpan<byte> signingKey)
    {
        // A key of its own, derived from the shared secret, so a ticket handle can never pass for an admission token.
        _key = HMACSHA256.HashData(signingKey, "fluxgate/waiting-room/ticket-handle/v1"u8);
    }

    public string Create(string productId, long ticket) =>
        string.Create(CultureInfo.InvariantCulture, $"{ticket}.{Base64Url.EncodeToString(Mac(productId, ticket))}");

    public bool TryRead(string productId, string? handle, out long ticket)
    {
        ticket = 0;
        var dot = handle?.IndexOf('.') ?? -1;
        if (handle is null || handle.Length > 64 || dot <= 0
            || !long.TryParse(handle.AsSpan(0, dot), NumberStyles.None, CultureInfo.InvariantCulture, out var number)
            || number <= 0)
        {
            return false;
        }

        // Compare the whole handle with the one we would have issued: constant time, no decoding of untrusted input.
        var expected = Encoding.ASCII.GetBytes(Create(productId, number));
        var presented = Encoding.ASCII.GetBytes(handle);
        if (!CryptographicOperations.FixedTimeEquals(expected, presented))
        {
            return false;
        }

        ticket = number;
        return true;
    }

    private byte[] Mac(string productId, long ticket) =>
        HMACSHA256.HashData(_key, Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture, $"{productId}|{ticket}")))[..MacBytes];
}
