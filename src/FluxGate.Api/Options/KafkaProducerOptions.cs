using System.ComponentModel.DataAnnotations;

namespace FluxGate.Api.Options;

public sealed class KafkaProducerOptions
{
    public const string Section = "Kafka:Producer";

    /// <summary>How long an order may wait for Kafka's acknowledgement before it fails (librdkafka message.timeout.ms).</summary>
    [Range(typeof(TimeSpan), "00:00:00.500", "00:05:00")]
    public TimeSpan DeliveryTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How long the producer waits to fill a batch: 1 ms trades a millisecond of latency for far fewer requests under load.</summary>
    [Range(0, 100)]
    public int LingerMs { get; set; } = 1;
}
