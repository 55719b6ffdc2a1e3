using System.Buffers.Binary;
using System.Security.Cryptography;

namespace FluxGate.WaitingRoom.Queue;

/// <summary>
/// The pre-queue's random order: a permutation of its places keyed by the seed drawn once at the sale's start, computed
/// for one ticket at a time so that nothing per shopper is written when the sale opens, however many wait. A balanced
/// Feistel network with HMAC-SHA256 rounds is a pseudorandom permutation of its 4ʰ values (Luby–Rackoff: four rounds
/// already are; we run eight), and cycle-walking restricts it to the pre-queue's size. .NET has no keyed permutation of
/// an arbitrary range (its shuffles take the whole array), hence this one.
/// </summary>
public static class PreQueueShuffle
{
    private const int Rounds = 8;

    /// <summary>The place (0 first) of the shopper who arrived <paramref name="arrival"/>-th (0 first) of <paramref name="count"/>.</summary>
    public static long Place(ReadOnlySpan<byte> seed, long count, long arrival)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(arrival);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(arrival, count);
        var half = 1;
        while (half < 31 && 1L << (2 * half) < count)
        {
            half++;
        }
        var place = arrival;
        do
        {
            place = Permute(seed, place, half);
        }
        while (place >= count); // the cycle through `arrival` comes back into range: a permutation of [0, count)
        return place;
    }

    private static long Permute(ReadOnlySpan<byte> seed, long value, int half)
    {
        var mask = (1L << half) - 1;
        long left = value >> half, right = value & mask;
        Span<byte> input = stackalloc byte[9];
        Span<byte> mac = stackalloc byte[HMACSHA256.HashSizeInBytes];
        for (var round = 0; round < Rounds; round++)
        {
            input[0] = (byte)round;
            BinaryPrimitives.WriteInt64LittleEndian(input[1..], right);
            HMACSHA256.HashData(seed, input, mac);
            (left, right) = (right, left ^ (long)(BinaryPrimitives.ReadUInt64LittleEndian(mac) & (ulong)mask));
        }
        return (left << half) | right;
    }
}
