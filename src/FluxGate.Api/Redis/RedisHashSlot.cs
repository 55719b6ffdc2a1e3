using System.Globalization;
using System.Text;

namespace FluxGate.Api.Redis;

/// <summary>
/// Redis Cluster's hash slot of a hash tag: CRC16 (XMODEM) of its UTF-8 bytes mod 16384.
/// Our own because the client computes slots only on a multiplexer connected to a cluster, and a product's stock buckets
/// must get the same keys in every process, whatever Redis it talks to.
/// </summary>
public static class RedisHashSlot
{
    public const int Count = 16384;

    public static int Of(string text)
    {
        // Per order for a split product (the idempotency key's bucket): no allocation for any text the input rules allow.
        var most = Encoding.UTF8.GetMaxByteCount(text.Length);
        var utf8 = most <= 1024 ? stackalloc byte[1024] : new byte[most];
        return Of(utf8[..Encoding.UTF8.GetBytes(text, utf8)]);
    }

    public static int Of(ReadOnlySpan<byte> utf8)
    {
        var crc = 0;
        foreach (var value in utf8)
        {
            crc ^= value << 8;
            for (var bit = 0; bit < 8; bit++)
            {
                crc = ((crc & 0x8000) != 0 ? (crc << 1) ^ 0x1021 : crc << 1) & 0xFFFF;
            }
        }
        return crc % Count;
    }

    /// <summary>
    /// A hash tag in <paramref name="slot"/>: <c>#</c> and the first number that hashes there (no product id holds a
    /// <c>#</c>, and bucket tags start with their product id). Key names hold it, so the rule must never change.
    /// </summary>
    public static string TagOf(int slot) => Tags.Value[slot];

    // Built once, on first use: about 170,000 candidates hashed, without allocating one.
    private static readonly Lazy<string[]> Tags = new(() =>
    {
        var tags = new string[Count];
        var missing = Count;
        Span<byte> tag = stackalloc byte[12];
        tag[0] = (byte)'#';
        for (var number = 0; missing > 0; number++)
        {
            number.TryFormat(tag[1..], out var digits, provider: CultureInfo.InvariantCulture);
            var slot = Of(tag[..(digits + 1)]);
            if (tags[slot] is null)
            {
                tags[slot] = Encoding.ASCII.GetString(tag[..(digits + 1)]);
                missing--;
            }
        }
        return tags;
    });
}
