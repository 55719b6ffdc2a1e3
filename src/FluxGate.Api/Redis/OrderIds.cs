namespace FluxGate.Api.Redis;

/// <summary>
/// Order ids: UUIDv7 whose random bits carry the Redis Cluster hash slot of the order's stock bucket. The api's record
/// of the order is found from the id alone and lies in that slot, so the script that decides or confirms the order
/// writes it in the same call. The slot's 14 bits take rand_a (12 bits) and 2 bits of rand_b; 60
/// random bits remain, and the version, variant and millisecond timestamp are untouched.
/// </summary>
public static class OrderIds
{
    public static Guid New(int slot)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(slot);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(slot, RedisHashSlot.Count);
        Span<byte> bytes = stackalloc byte[16];
        Guid.CreateVersion7().TryWriteBytes(bytes, bigEndian: true, out _);
        bytes[6] = (byte)(0x70 | ((slot >> 8) & 0x0F)); // version 7, then the slot's bits 11..8
        bytes[7] = (byte)slot; // bits 7..0
        bytes[8] = (byte)((bytes[8] & 0xCF) | (((slot >> 12) & 0x03) << 4)); // the variant, bits 13..12, 4 random bits
        return new Guid(bytes, bigEndian: true);
    }

    /// <summary>The slot an id carries; an id <see cref="New"/> did not make (an older api's) carries an arbitrary one.</summary>
    public static int SlotOf(Guid orderId)
    {
        Span<byte> bytes = stackalloc byte[16];
        orderId.TryWriteBytes(bytes, bigEndian: true, out _);
        return ((bytes[6] & 0x0F) << 8) | bytes[7] | (((bytes[8] >> 4) & 0x03) << 12);
    }
}
