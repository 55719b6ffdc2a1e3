using System.Buffers.Text;
using System.Globalization;
using System.Text;
using System.Text.Unicode;
using FluxGate.Contracts;

namespace FluxGate.Api.Redis;

/// <summary>
/// Redis's own copy of an order event (its record until PostgreSQL has it, <see cref="Orders.OrderRecords"/>): one field
/// per line, about half the size of the JSON Kafka carries. Written by hand because no serializer writes a format this
/// small: no field can hold a line break (<see cref="InputRules"/> allows no control character in any).
/// </summary>
/// <remarks>
/// <c>A\n&lt;acceptedAt, UTC ticks&gt;\n&lt;productId&gt;\n&lt;idempotencyKey&gt;\n&lt;userId&gt;</c> (and
/// <c>\ns</c> for an order placed signed in), or
/// <c>C\n&lt;cancelledAt, UTC ticks&gt;\n&lt;productId&gt;</c>: without the order id, which the record's key names.
/// </remarks>
public static class OrderEventRecord
{
    private const byte Separator = (byte)'\n';

    // The longest record: every field at its longest, a user id of 128 characters at most 3 UTF-8 bytes each.
    private const int MaxBytes = 2 + 20 + InputRules.MaxProductIdLength + 1 + InputRules.MaxIdempotencyKeyLength + 1 + InputRules.MaxUserIdLength * 3 + 2;

    /// <exception cref="ArgumentException">Not an accepted order or a cancel, or fields longer than <see cref="InputRules"/> allow.</exception>
    public static byte[] Encode(OrderEvent orderEvent)
    {
        Span<byte> buffer = stackalloc byte[MaxBytes];
        int written;
        var fits = orderEvent switch
        {
            OrderAccepted order => Utf8.TryWrite(buffer, CultureInfo.InvariantCulture,
                $"A\n{order.AcceptedAt.UtcTicks}\n{order.ProductId}\n{order.IdempotencyKey}\n{order.UserId}{(order.SignedIn ? "\ns" : "")}",
                out written),
            OrderCancelled cancel => Utf8.TryWrite(buffer, CultureInfo.InvariantCulture,
                $"C\n{cancel.CancelledAt.UtcTicks}\n{cancel.ProductId}",
                out written),
            _ => throw new ArgumentException($"Redis keeps no record of a {orderEvent.GetType().Name}.", nameof(orderEvent)),
        };
        return fits
            ? buffer[..written].ToArray()
            : throw new ArgumentException("The event's fields are longer than InputRules allows.", nameof(orderEvent));
    }

    /// <param name="orderId">The order's id: the record's key names it, the record does not repeat it.</param>
    /// <returns>The event, or null when the bytes are not this format.</returns>
    public static OrderEvent? Decode(ReadOnlySpan<byte> record, Guid orderId)
    {
        if (record.IsEmpty)
        {
            return null;
        }
        Span<Range> fields = stackalloc Range[6];
        var count = 0;
        foreach (var field in record.Split(Separator))
        {
            if (count == fields.Length)
            {
                return null;
            }
            fields[count++] = field;
        }
        if (count < 3 || record[fields[0]] is not [var kind]
            || !Utf8Parser.TryParse(record[fields[1]], out long ticks, out var consumed) || consumed != record[fields[1]].Length
            || ticks is < 0 or > 3155378975999999999)
        {
            return null;
        }
        var at = new DateTimeOffset(ticks, TimeSpan.Zero);
        var productId = Encoding.UTF8.GetString(record[fields[2]]);
        return (kind, count) switch
        {
            ((byte)'A', 5) => new OrderAccepted(orderId, productId, Encoding.UTF8.GetString(record[fields[4]]),
                Encoding.UTF8.GetString(record[fields[3]]), at),
            ((byte)'A', 6) when record[fields[5]] is [(byte)'s'] => new OrderAccepted(orderId, productId, Encoding.UTF8.GetString(record[fields[4]]),
                Encoding.UTF8.GetString(record[fields[3]]), at, SignedIn: true),
            ((byte)'C', 3) => new OrderCancelled(orderId, productId, at),
            _ => null,
        };
    }
}
