using System.Text.Json;
using System.Text.Json.Serialization;

namespace FluxGate.Contracts;

/// <summary>UTF-8 JSON for <see cref="OrderEvent"/>s, source-generated (no reflection on the hot path).</summary>
public static class OrderEventSerializer
{
    public static byte[] Serialize(OrderEvent orderEvent) =>
        JsonSerializer.SerializeToUtf8Bytes(orderEvent, OrderEventJsonContext.Default.OrderEvent);

    /// <exception cref="JsonException">The bytes are not a known order event.</exception>
    public static OrderEvent Deserialize(ReadOnlySpan<byte> utf8Json) =>
        JsonSerializer.Deserialize(utf8Json, OrderEventJsonContext.Default.OrderEvent)
        ?? throw new JsonException("The message is JSON null, not an order event.");
}

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    AllowOutOfOrderMetadataProperties = true)]
[JsonSerializable(typeof(OrderEvent))]
internal sealed partial class OrderEventJsonContext : JsonSerializerContext;
