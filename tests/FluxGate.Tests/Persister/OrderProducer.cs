using System.Text;
using Confluent.Kafka;
using FluxGate.Contracts;

namespace FluxGate.Tests.Persister;

/// <summary>Produces order events the way the API does: key = productId, acks=all, idempotent.</summary>
public sealed class OrderProducer(string bootstrapServers) : IDisposable
{
    private readonly IProducer<byte[], byte[]> _producer = new ProducerBuilder<byte[], byte[]>(new ProducerConfig
    {
        BootstrapServers = bootstrapServers,
        Acks = Acks.All,
        EnableIdempotence = true,
        LingerMs = 5,
    }).Build();

    public Task<DeliveryResult<byte[], byte[]>> ProduceAsync(OrderEvent orderEvent, string topic = Topics.Orders) =>
        ProduceRawAsync(Encoding.UTF8.GetBytes(orderEvent.ProductId), OrderEventSerializer.Serialize(orderEvent), topic);

    public Task<DeliveryResult<byte[], byte[]>> ProduceRawAsync(byte[]? key, byte[]? payload, string topic = Topics.Orders) =>
        _producer.ProduceAsync(topic, new Message<byte[], byte[]> { Key = key!, Value = payload! });

    /// <summary>Many events at once, all awaited (delivery reports come back in batches).</summary>
    public async Task ProduceAllAsync(IEnumerable<OrderEvent> events, string topic = Topics.Orders)
    {
        var deliveries = events.Select(orderEvent => ProduceAsync(orderEvent, topic)).ToList();
        await Task.WhenAll(deliveries);
    }

    public static OrderAccepted Order(string productId) =>
        new(Guid.NewGuid(), productId, "user-" + Guid.NewGuid().ToString("N")[..8], Guid.NewGuid().ToString("N"), DateTimeOffset.UtcNow);

    public static StockInitialized Init(string productId, int quantity) => new(productId, quantity, DateTimeOffset.UtcNow);

    public void Dispose() => _producer.Dispose();
}
