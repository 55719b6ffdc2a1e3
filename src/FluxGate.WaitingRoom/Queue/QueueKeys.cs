using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;

namespace FluxGate.WaitingRoom.Queue;

/// <summary>
/// The waiting room's keys: its own, under <c>fg:{productId}:wr:</c>. The product's hash tag keeps a line's keys in one
/// slot of a Redis Cluster, so each script's keys are too.
/// </summary>
public static class QueueKeys
{
    /// <summary>String: the last ticket handed out (INCR).</summary>
    public static string Issued(string productId) => Prefix(productId) + "issued";

    /// <summary>Hash: the "now serving" counter as a line through time: <c>n</c> at <c>ts</c> (µs, Redis clock), moving at <c>rate</c>/s.</summary>
    public static string Serving(string productId) => Prefix(productId) + "serving";

    /// <summary>
    /// String with TTL: the ticket of one (userId, idempotency key), so that coming back through the same 302 keeps the
    /// place. Hashed so that any user id and key make a bounded, unambiguous key.
    /// </summary>
    public static string Owner(string productId, string userId, string idempotencyKey)
    {
        var identity = Encoding.UTF8.GetBytes($"{userId.Length}:{userId}|{idempotencyKey}");
        return Prefix(productId) + "owner:" + Base64Url.EncodeToString(SHA256.HashData(identity));
    }

    private static string Prefix(string productId) => $"fg:{{{productId}}}:wr:";
}
