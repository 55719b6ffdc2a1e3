using System.Globalization;
using FluxGate.Api.Redis;
using FluxGate.Contracts;
using StackExchange.Redis;

namespace FluxGate.Api.Reconciliation;

/// <summary>
/// A reservation the order script recorded (<see cref="RedisKeys.InFlight"/>) that Kafka's answer has not yet confirmed
/// or undone: normal for a few milliseconds, a leftover when the api stopped in between.
/// </summary>
/// <param name="CustomerId">The customer whose purchase limit the order counts against; null when the product has no limit.</param>
public sealed record InFlightReservation(Guid OrderId, long ReservedAtMs, long? AdmissionTicket, string IdempotencyRedisKey, string? CustomerId = null)
{
    /// <summary>
    /// Parses <c>&lt;reserved at ms&gt;:&lt;ticket or empty&gt;:&lt;idempotency Redis key&gt;</c>, followed by <c>\n&lt;customer id&gt;</c>
    /// when the order counts against a purchase limit (an idempotency key never holds a newline); null when it is not one.
    /// </summary>
    public static InFlightReservation? Parse(RedisValue orderId, RedisValue value)
    {
        var text = (string?)value;
        if (text is null || !Guid.TryParseExact((string?)orderId, "N", out var id))
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

/// <summary>An event Kafka acknowledged that PostgreSQL may not have yet (<see cref="RedisKeys.Unpersisted"/>).</summary>
public sealed record UnpersistedEvent(RedisValue Member, long RecordedAtMs, OrderEvent? Event)
{
    public Guid? OrderId => Event switch
    {
        OrderAccepted accepted => accepted.OrderId,
        OrderCancelled cancelled => cancelled.OrderId,
        _ => null,
    };

    /// <summary>Does PostgreSQL have this event's effect (the order; the order cancelled)?</summary>
    public bool IsPersisted(IReadOnlyDictionary<Guid, string> statuses) => Event switch
    {
        OrderAccepted accepted => statuses.ContainsKey(accepted.OrderId),
        OrderCancelled cancelled => statuses.GetValueOrDefault(cancelled.OrderId) == "cancelled",
        _ => true, // nothing the reconciler can do with it: let it go
    };

    public static UnpersistedEvent From(SortedSetEntry entry) =>
        new(entry.Element, (long)entry.Score, OrderEventRecord.Decode((byte[])entry.Element!));
}

/// <summary>
/// Units one stock bucket gave to another (<see cref="RedisKeys.Transfers"/>):
/// <c>&lt;units&gt;:&lt;given at ms&gt;:&lt;sale (initializedAt)&gt;:&lt;receiving bucket&gt;</c>, the receiver last (a product id may hold ':').
/// </summary>
public sealed record StockTransfer(long Units, long GivenAtMs, string Sale, string Receiver)
{
    public static StockTransfer? Parse(RedisValue value)
    {
        var parts = ((string?)value)?.Split(':', 4);
        return parts is { Length: 4 }
               && long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var units)
               && long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var givenAt)
               && parts[3].Length > 0
            ? new StockTransfer(units, givenAt, parts[2], parts[3])
            : null;
    }
}
