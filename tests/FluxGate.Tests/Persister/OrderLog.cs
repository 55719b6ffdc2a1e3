using System.Text;
using Confluent.Kafka;
using FluxGate.Contracts;
using FluxGate.Persister.Decoding;

namespace FluxGate.Tests.Persister;

/// <summary>Builds the messages a partition of the orders topic would deliver, through the real serializer and decoder.</summary>
public sealed class OrderLog(int partition = 0, string topic = Topics.Orders)
{
    private long _nextOffset;

    public static readonly DateTimeOffset Time = new(2026, 11, 24, 12, 0, 0, TimeSpan.Zero);

    public OrderMessage Next(OrderEvent orderEvent) =>
        Raw(Encoding.UTF8.GetBytes(orderEvent.ProductId), OrderEventSerializer.Serialize(orderEvent));

    public OrderMessage Raw(byte[]? key, byte[]? payload) =>
        OrderMessageDecoder.Decode(new TopicPartitionOffset(topic, partition, _nextOffset++), key, payload);

    public OrderMessage Init(string productId, int quantity) => Next(new StockInitialized(productId, quantity, Time));

    public OrderMessage Order(string productId, Guid orderId, string userId = "user") =>
        Next(new OrderAccepted(orderId, productId, userId, $"key-{orderId:N}", Time));

    public OrderMessage Cancel(string productId, Guid orderId) => Next(new OrderCancelled(orderId, productId, Time));
}
