using FluxGate.Api.Redis;
using FluxGate.Contracts;
using StackExchange.Redis;

namespace FluxGate.Api.Orders;

/// <summary>
/// Undoing a reservation, written once for the gate (Kafka refused the order, or a split product's ticket was used
/// already) and the reconciler (the order never reached PostgreSQL): the unit, the key, the customer's allowance and the
/// admission ticket go back, only while the order's record still says reserved.
/// </summary>
public static class ReservationUndo
{
    /// <summary>compensate.lua in the order's bucket, then the release of a ticket the api claimed for it.</summary>
    /// <returns>True when this call undid the reservation; false when it was confirmed or undone before.</returns>
    public static async Task<bool> UndoAsync(
        IDatabase redis, GateScripts scripts, string bucket, RedisKey idempotencyRedisKey, Guid orderId, TicketMarkers ticket)
    {
        var orderIdText = orderId.ToString("N");
        var records = OrderRecords.KeyOf(orderId);
        RedisKey[] keys = ticket.Used is { } used
            ? [RedisKeys.Stock(bucket), idempotencyRedisKey, records, RedisKeys.Purchases(bucket), used]
            : [RedisKeys.Stock(bucket), idempotencyRedisKey, records, RedisKeys.Purchases(bucket)];
        var undone = (long)await scripts.Compensate.EvaluateAsync(redis, keys, [orderIdText]).ConfigureAwait(false) == 1;
        if (undone && ticket.Claimed is { } claimed)
        {
            // Only while it still names this order: the order may have lost the ticket to another one.
            await redis.LockReleaseAsync(claimed, orderIdText).ConfigureAwait(false);
        }
        return undone;
    }

    /// <summary>Where the ticket's one use is marked: by the order script in the order's bucket, or claimed by the api in the ticket's bucket.</summary>
    /// <param name="buckets">The product's stock buckets; null: one.</param>
    public static TicketMarkers TicketMarkers(string[]? buckets, string bucket, long? admittedTicket) => admittedTicket switch
    {
        null => default,
        { } ticket when buckets is null => new TicketMarkers(RedisKeys.AdmissionUsed(bucket, ticket), null),
        { } ticket => new TicketMarkers(null, SplitAdmissionMarker(buckets, ticket)),
    };

    /// <summary>Where a ticket's one use is marked for a product of several buckets: the bucket the ticket maps to.</summary>
    public static RedisKey SplitAdmissionMarker(string[] buckets, long ticket) =>
        RedisKeys.AdmissionUsed(buckets[(int)((ulong)ticket % (ulong)buckets.Length)], ticket);
}

/// <summary>An admission ticket's one-use marker: set by the order script (<paramref name="Used"/>) or claimed by the api
/// with the order id as its value (<paramref name="Claimed"/>, for a product of several stock buckets).</summary>
public readonly record struct TicketMarkers(RedisKey? Used, RedisKey? Claimed);
