using System.Text;
using System.Text.Json;
using Confluent.Kafka;
using FluxGate.Contracts;

namespace FluxGate.Persister.Decoding;

/// <summary>
/// Turns raw Kafka messages into events the writer can apply, or into poison with a reason. Everything that
/// would make the database reject a row (NUL characters, broken UTF-16, missing fields) is caught here, so
/// one bad message is dead-lettered instead of failing the batch it arrived in.
/// </summary>
public static class OrderMessageDecoder
{
    /// <summary>Generous bounds: the API is stricter (productId ≤ 64, userId ≤ 128); these only keep junk out.</summary>
    public const int MaxIdLength = 256;
    public const int MaxIdempotencyKeyLength = 1024;

    public static OrderMessage Decode(ConsumeResult<byte[]?, byte[]?> result) =>
        Decode(result.TopicPartitionOffset, result.Message.Key, result.Message.Value);

    public static OrderMessage Decode(TopicPartitionOffset source, byte[]? key, byte[]? payload)
    {
        if (payload is null || payload.Length == 0)
        {
            return OrderMessage.Poison(source, key, payload, "The message has no payload.");
        }

        OrderEvent orderEvent;
        try
        {
            orderEvent = OrderEventSerializer.Deserialize(payload);
        }
        catch (Exception exception) when (exception is JsonException or NotSupportedException or ArgumentException)
        {
            return OrderMessage.Poison(source, key, payload, $"Not an order event: {exception.Message}");
        }

        var problem = Validate(orderEvent) ?? CheckKey(key, orderEvent.ProductId);
        return problem is null
            ? OrderMessage.Valid(source, key, payload, orderEvent)
            : OrderMessage.Poison(source, key, payload, $"Invalid {orderEvent.GetType().Name}: {problem}");
    }

    private static string? Validate(OrderEvent orderEvent) =>
        CheckText("productId", orderEvent.ProductId, MaxIdLength, required: true)
        ?? orderEvent switch
        {
            StockInitialized init =>
                init.Quantity < 0 ? $"quantity must not be negative (it is {init.Quantity})."
                : CheckTime("initializedAt", init.InitializedAt),
            OrderAccepted accepted =>
                CheckOrderId(accepted.OrderId)
                ?? CheckText("userId", accepted.UserId, MaxIdLength, required: true)
                ?? CheckText("idempotencyKey", accepted.IdempotencyKey, MaxIdempotencyKeyLength, required: false)
                ?? CheckTime("acceptedAt", accepted.AcceptedAt),
            OrderCancelled cancelled =>
                CheckOrderId(cancelled.OrderId) ?? CheckTime("cancelledAt", cancelled.CancelledAt),
            _ => $"the persister does not know how to apply {orderEvent.GetType().Name}.",
        };

    /// <summary>Ordering per product rests on key = productId; a message keyed otherwise may overtake or trail its product's events.</summary>
    private static string? CheckKey(byte[]? key, string productId)
    {
        if (key is null)
        {
            return $"the message has no key; it must be the productId '{productId}'.";
        }
        var expected = Encoding.UTF8.GetBytes(productId);
        return key.AsSpan().SequenceEqual(expected)
            ? null
            : $"the message key '{Encoding.UTF8.GetString(key)}' is not its productId '{productId}'.";
    }

    private static string? CheckOrderId(Guid orderId) =>
        orderId == Guid.Empty ? "orderId is missing or the empty GUID." : null;

    private static string? CheckTime(string field, DateTimeOffset value) =>
        value == default || value == DateTimeOffset.MaxValue ? $"{field} is missing or out of range." : null;

    private static string? CheckText(string field, string? value, int maxLength, bool required)
    {
        if (value is null)
        {
            return required ? $"{field} is missing." : null;
        }
        if (required && string.IsNullOrWhiteSpace(value))
        {
            return $"{field} is empty.";
        }
        if (value.Length > maxLength)
        {
            return $"{field} is longer than {maxLength} characters.";
        }
        // A lone surrogate (JSON "\ud800") never gets here: the serializer refuses it. A NUL is valid JSON, though.
        return value.Contains('\0') ? $"{field} contains a NUL character, which PostgreSQL text cannot hold." : null;
    }
}
