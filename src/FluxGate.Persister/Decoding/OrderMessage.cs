using Confluent.Kafka;
using FluxGate.Contracts;

namespace FluxGate.Persister.Decoding;

/// <summary>
/// One Kafka message of the orders topic as the writer sees it: where it came from, its raw bytes (kept for the
/// dead-letter table) and either the event it carries or why it can never be applied.
/// </summary>
public sealed class OrderMessage
{
    private OrderMessage(TopicPartitionOffset source, byte[]? key, byte[]? payload, OrderEvent? orderEvent, string? poisonReason)
    {
        Source = source;
        Key = key;
        Payload = payload;
        Event = orderEvent;
        PoisonReason = poisonReason;
    }

    public TopicPartitionOffset Source { get; }

    public string Topic => Source.Topic;

    public int Partition => Source.Partition.Value;

    public long Offset => Source.Offset.Value;

    public byte[]? Key { get; }

    public byte[]? Payload { get; }

    /// <summary>The decoded, validated event; <c>null</c> for a poison message.</summary>
    public OrderEvent? Event { get; }

    /// <summary>Why the message can never be applied; <c>null</c> when <see cref="Event"/> is set.</summary>
    public string? PoisonReason { get; }

    public static OrderMessage Valid(TopicPartitionOffset source, byte[]? key, byte[]? payload, OrderEvent orderEvent) =>
        new(source, key, payload, orderEvent, null);

    public static OrderMessage Poison(TopicPartitionOffset source, byte[]? key, byte[]? payload, string reason) =>
        new(source, key, payload, null, reason);

    public override string ToString() => $"{Topic}[{Partition}]@{Offset}";
}
