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

    /// <summary>
    /// True (default): the idempotent producer, so Kafka holds each event once. librdkafka lets an idempotent
    /// partition have at most 5 messages in flight, so with batches its broker thread polls with a zero timeout
    /// until each acknowledgement arrives (profile: ~20% of the api's CPU under load). False: acks=all with one
    /// request in flight: no spinning and events stay in order, but a retry after a lost acknowledgement may
    /// write an event twice. The persister drops a repeated order or cancel by its order id; a repeated
    /// <c>StockInitialized</c> with another api instance's orders between the two copies would reset
    /// PostgreSQL's copy of the stock (Redis, which decides, is not affected).
    /// </summary>
    public bool Idempotence { get; set; } = true;
}
