using System.Globalization;
using System.Text;
using FluxGate.Api.Redis;
using FluxGate.Contracts;
using StackExchange.Redis;

namespace FluxGate.Api.Orders;

/// <summary>
/// The records hash of one Redis hash slot: per order id, what must outlive the api until PostgreSQL has it (written by
/// order_batch.lua and cancel.lua, settled by the reconciler). One hash per slot, not per product, because an order id
/// carries its slot (<see cref="OrderIds"/>): an order is found from its id alone, and the call that decides or confirms
/// it writes its record in the same slot as the stock.
/// </summary>
/// <remarks>
/// <c>&lt;order id&gt;</c> → <c>R&lt;reserved at ms&gt;:&lt;ticket&gt;:&lt;idempotency Redis key&gt;[\n&lt;customer id&gt;]</c> (reserved,
/// Kafka has not answered) or <c>&lt;acknowledged at ms&gt;\n&lt;accepted event&gt;</c> (Kafka has it);
/// <c>&lt;order id&gt;:c</c> → <c>&lt;acknowledged at ms&gt;\n&lt;cancel event&gt;</c>. Events as <see cref="OrderEventRecord"/>.
/// </remarks>
public static class OrderRecords
{
    public static string Key(int slot) => $"fg:{{{RedisHashSlot.TagOf(slot)}}}:orders";

    /// <summary>The records hash an order's records are in: that of the slot its id carries.</summary>
    public static string KeyOf(Guid orderId) => Key(OrderIds.SlotOf(orderId));

    public static RedisValue CancelField(Guid orderId) => $"{orderId:N}:c";

    /// <summary>
    /// What the reconciler needs to judge a record, read without decoding it: every record passes through its scan once
    /// a second or so, most of them only to be left alone (too young) or dropped (PostgreSQL has them).
    /// </summary>
    /// <returns>False when the entry is not a record.</returns>
    public static bool TryPeek(HashEntry entry, out RecordPeek peek)
    {
        peek = default;
        var value = (byte[]?)entry.Value;
        var field = (byte[]?)entry.Name;
        if (value is not { Length: > 2 } || field is null || field.Length < 32
            || !Guid.TryParse(field.AsSpan(0, 32), out var orderId))
        {
            return false;
        }
        var reserved = value[0] == (byte)'R';
        var digits = value.AsSpan(reserved ? 1 : 0);
        var end = digits.IndexOfAny((byte)':', (byte)'\n');
        if (end <= 0 || !System.Buffers.Text.Utf8Parser.TryParse(digits[..end], out long atMs, out var consumed) || consumed != end)
        {
            return false;
        }
        peek = new RecordPeek(orderId, reserved, atMs, !reserved && digits.Length > end + 1 && digits[end + 1] == (byte)'C');
        return true;
    }

    /// <returns>The record, or null when the entry is not one (it is dropped as such).</returns>
    public static OrderRecord? Parse(HashEntry entry)
    {
        var value = (byte[]?)entry.Value;
        var field = (string?)entry.Name;
        if (value is not { Length: > 0 } || field is null)
        {
            return null;
        }
        if (value[0] == (byte)'R')
        {
            return InFlightReservation.Parse(field, Encoding.UTF8.GetString(value, 1, value.Length - 1));
        }
        var newline = Array.IndexOf(value, (byte)'\n');
        return newline > 0 && field.Length >= 32 && Guid.TryParseExact(field.AsSpan(0, 32), "N", out var orderId)
               && long.TryParse(value.AsSpan(0, newline), NumberStyles.None, CultureInfo.InvariantCulture, out var acknowledgedAt)
               && OrderEventRecord.Decode(value.AsSpan(newline + 1), orderId) is { } orderEvent
            ? new AcknowledgedEvent(entry.Name, acknowledgedAt, orderEvent)
            : null;
    }
}

/// <summary>A record's order, state and time (reserved at, or acknowledged at), read by <see cref="OrderRecords.TryPeek"/>.</summary>
public readonly record struct RecordPeek(Guid OrderId, bool IsReservation, long AtMs, bool IsCancel);

/// <summary>An entry of <see cref="OrderRecords"/>.</summary>
/// <param name="Field">Its field in the hash (what settling it deletes).</param>
public abstract record OrderRecord(RedisValue Field, Guid OrderId);

/// <summary>
/// A reservation Kafka's answer has not yet confirmed or undone: normal for a few milliseconds, a leftover when the api
/// stopped in between.
/// </summary>
/// <param name="CustomerId">The customer whose purchase limit the order counts against; null when the product has no limit.</param>
public sealed record InFlightReservation(Guid OrderId, long ReservedAtMs, long? AdmissionTicket, string IdempotencyRedisKey, string? CustomerId = null)
    : OrderRecord(OrderId.ToString("N"), OrderId)
{
    /// <summary>The stock bucket it was reserved in (the product itself unless split).</summary>
    public string Bucket => RedisKeys.BucketOf(IdempotencyRedisKey) ?? "";

    /// <summary>
    /// Parses <c>&lt;reserved at ms&gt;:&lt;ticket or empty&gt;:&lt;idempotency Redis key&gt;</c>, followed by <c>\n&lt;customer id&gt;</c>
    /// when the order counts against a purchase limit (an idempotency key never holds a newline); null when it is not one.
    /// </summary>
    public static InFlightReservation? Parse(string orderId, string text)
    {
        if (!Guid.TryParseExact(orderId, "N", out var id))
        {
            return null;
        }
        var first = text.IndexOf(':', StringComparison.Ordinal);
        var second = first < 0 ? -1 : text.IndexOf(':', first + 1);
        if (second < 0
            || !long.TryParse(text.AsSpan(0, first), NumberStyles.None, CultureInfo.InvariantCulture, out var reservedAt))
        {
            return null;
        }
        var ticketText = text.AsSpan(first + 1, second - first - 1);
        long? ticket = null;
        if (ticketText.Length > 0)
        {
            if (!long.TryParse(ticketText, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed))
            {
                return null;
            }
            ticket = parsed;
        }
        var newline = text.IndexOf('\n', second + 1);
        return newline < 0
            ? new InFlightReservation(id, reservedAt, ticket, text[(second + 1)..])
            : new InFlightReservation(id, reservedAt, ticket, text[(second + 1)..newline], text[(newline + 1)..]);
    }
}

/// <summary>An event Kafka acknowledged that PostgreSQL may not have yet: an accepted order, or a cancel.</summary>
public sealed record AcknowledgedEvent(RedisValue Field, long AcknowledgedAtMs, OrderEvent Event) : OrderRecord(Field, Event switch
{
    OrderAccepted accepted => accepted.OrderId,
    OrderCancelled cancelled => cancelled.OrderId,
    _ => Guid.Empty,
})
{
    public string ProductId => Event switch
    {
        OrderAccepted accepted => accepted.ProductId,
        OrderCancelled cancelled => cancelled.ProductId,
        _ => "",
    };

    /// <summary>Does PostgreSQL have this event's effect (the order; the order cancelled)?</summary>
    public bool IsPersisted(IReadOnlyDictionary<Guid, string> statuses) => Event switch
    {
        OrderAccepted accepted => statuses.ContainsKey(accepted.OrderId),
        OrderCancelled cancelled => statuses.GetValueOrDefault(cancelled.OrderId) == "cancelled",
        _ => true, // nothing the reconciler can do with it: let it go
    };

    /// <summary>The record's value with a new acknowledgement time (produced again).</summary>
    public static RedisValue Value(long acknowledgedAtMs, OrderEvent orderEvent) =>
        (byte[])[.. Encoding.ASCII.GetBytes($"{acknowledgedAtMs.ToString(CultureInfo.InvariantCulture)}\n"), .. OrderEventRecord.Encode(orderEvent)];
}
