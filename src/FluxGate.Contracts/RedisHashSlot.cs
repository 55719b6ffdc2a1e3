using System.Text;

namespace FluxGate.Contracts;

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
        var bytes = Encoding.UTF8.GetBytes(text);
        var crc = 0;
        foreach (var value in bytes)
        {
            crc ^= value << 8;
            for (var bit = 0; bit < 8; bit++)
            {
                crc = ((crc & 0x8000) != 0 ? (crc << 1) ^ 0x1021 : crc << 1) & 0xFFFF;
            }
        }
        return crc % Count;
    }
}
