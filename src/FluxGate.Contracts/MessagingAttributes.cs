namespace FluxGate.Contracts;

/// <summary>
/// Span attribute names and values of the OpenTelemetry messaging semantic conventions (v1.3x, Kafka), for the spans
/// the API and the persister record around topic <see cref="Topics.Orders"/>. One list, so both sides spell them alike.
/// </summary>
public static class MessagingAttributes
{
    public const string System = "messaging.system";
    public const string OperationType = "messaging.operation.type";
    public const string OperationName = "messaging.operation.name";
    public const string DestinationName = "messaging.destination.name";
    public const string PartitionId = "messaging.destination.partition.id";
    public const string ConsumerGroup = "messaging.consumer.group.name";
    public const string BatchMessageCount = "messaging.batch.message_count";
    public const string KafkaMessageKey = "messaging.kafka.message.key";
    public const string KafkaOffset = "messaging.kafka.offset";
    public const string ErrorType = "error.type";

    public const string Kafka = "kafka";

    /// <summary><see cref="OperationType"/> of a producer's span.</summary>
    public const string Send = "send";

    /// <summary><see cref="OperationType"/> of a consumer's span that handles messages it was given.</summary>
    public const string Process = "process";
}
