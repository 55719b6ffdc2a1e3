using System.Text;
using Confluent.Kafka;
using FluxGate.Contracts;
using FluxGate.Persister.Decoding;

namespace FluxGate.Tests.Persister;

public sealed class OrderMessageDecoderTests
{
    private static readonly TopicPartitionOffset Source = new(Topics.Orders, 2, 41);
    private static readonly DateTimeOffset Time = new(2026, 11, 24, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Decodes_each_event_type_keyed_by_its_product()
    {
        OrderEvent[] events =
        [
            new StockInitialized("p1", 0, Time),
            new OrderAccepted(Guid.NewGuid(), "p1", "u1", "k1", Time),
            new OrderCancelled(Guid.NewGuid(), "p1", Time),
        ];

        foreach (var orderEvent in events)
        {
            var message = OrderMessageDecoder.Decode(Source, "p1"u8.ToArray(), OrderEventSerializer.Serialize(orderEvent));

            Assert.Null(message.PoisonReason);
            Assert.Equal(orderEvent, message.Event);
            Assert.Equal((Topics.Orders, 2, 41L), (message.Topic, message.Partition, message.Offset));
        }
    }

    [Theory]
    [InlineData("", "no payload")]
    [InlineData("{\"type\":", "Not an order event")]
    [InlineData("[1,2]", "Not an order event")]
    [InlineData("{\"type\":\"OrderShipped\",\"productId\":\"p1\"}", "Not an order event")]
    [InlineData("{\"productId\":\"p1\",\"quantity\":1}", "Not an order event")]
    [InlineData("{\"type\":\"StockInitialized\",\"productId\":\"p1\",\"quantity\":-1,\"initializedAt\":\"2026-01-01T00:00:00Z\"}", "quantity must not be negative")]
    [InlineData("{\"type\":\"StockInitialized\",\"productId\":\"p1\",\"quantity\":\"many\",\"initializedAt\":\"2026-01-01T00:00:00Z\"}", "Not an order event")]
    [InlineData("{\"type\":\"StockInitialized\",\"productId\":\"p1\",\"quantity\":3}", "initializedAt is missing")]
    [InlineData("{\"type\":\"OrderAccepted\",\"productId\":\"p1\",\"userId\":\"u\",\"acceptedAt\":\"2026-01-01T00:00:00Z\"}", "orderId is missing")]
    [InlineData("{\"type\":\"OrderAccepted\",\"orderId\":\"8f8c7c1e-0d7e-4d55-9a43-3a0c6f1f4a10\",\"productId\":\"p1\",\"acceptedAt\":\"2026-01-01T00:00:00Z\"}", "userId is missing")]
    [InlineData("{\"type\":\"OrderAccepted\",\"orderId\":\"8f8c7c1e-0d7e-4d55-9a43-3a0c6f1f4a10\",\"productId\":\"p1\",\"userId\":\"  \",\"acceptedAt\":\"2026-01-01T00:00:00Z\"}", "userId is empty")]
    [InlineData("{\"type\":\"OrderAccepted\",\"orderId\":\"8f8c7c1e-0d7e-4d55-9a43-3a0c6f1f4a10\",\"productId\":\"p1\",\"userId\":\"a\\u0000b\",\"acceptedAt\":\"2026-01-01T00:00:00Z\"}", "NUL")]
    [InlineData("{\"type\":\"OrderAccepted\",\"orderId\":\"8f8c7c1e-0d7e-4d55-9a43-3a0c6f1f4a10\",\"productId\":\"p1\",\"userId\":\"\\ud800\",\"acceptedAt\":\"2026-01-01T00:00:00Z\"}", "Not an order event")]
    [InlineData("{\"type\":\"OrderAccepted\",\"orderId\":\"8f8c7c1e-0d7e-4d55-9a43-3a0c6f1f4a10\",\"productId\":\"p1\",\"userId\":\"u\"}", "acceptedAt is missing")]
    [InlineData("{\"type\":\"OrderCancelled\",\"productId\":\"p1\",\"cancelledAt\":\"2026-01-01T00:00:00Z\"}", "orderId is missing")]
    public void Rejects_what_can_never_be_applied(string json, string reason)
    {
        var message = OrderMessageDecoder.Decode(Source, "p1"u8.ToArray(), Encoding.UTF8.GetBytes(json));

        Assert.Null(message.Event);
        Assert.Contains(reason, message.PoisonReason);
    }

    [Fact]
    public void Rejects_a_product_id_missing_or_too_long()
    {
        var missing = OrderMessageDecoder.Decode(Source, null,
            """{"type":"StockInitialized","quantity":1,"initializedAt":"2026-01-01T00:00:00Z"}"""u8.ToArray());
        var longId = new string('x', OrderMessageDecoder.MaxIdLength + 1);
        var tooLong = OrderMessageDecoder.Decode(Source, Encoding.UTF8.GetBytes(longId),
            OrderEventSerializer.Serialize(new StockInitialized(longId, 1, Time)));

        Assert.Contains("productId is missing", missing.PoisonReason);
        Assert.Contains("productId is longer than", tooLong.PoisonReason);
    }

    [Fact]
    public void Rejects_a_message_not_keyed_by_its_product()
    {
        var payload = OrderEventSerializer.Serialize(new OrderAccepted(Guid.NewGuid(), "p1", "u", "k", Time));

        var otherKey = OrderMessageDecoder.Decode(Source, "p2"u8.ToArray(), payload);
        var noKey = OrderMessageDecoder.Decode(Source, null, payload);

        Assert.Contains("is not its productId", otherKey.PoisonReason);
        Assert.Contains("has no key", noKey.PoisonReason);
    }

    [Fact]
    public void Keeps_the_raw_bytes_of_a_poison_message()
    {
        byte[] key = [0xff, 0x00];
        byte[] payload = [0xc3, 0x28];

        var message = OrderMessageDecoder.Decode(Source, key, payload);

        Assert.NotNull(message.PoisonReason);
        Assert.Same(key, message.Key);
        Assert.Same(payload, message.Payload);
    }

    [Fact]
    public void Accepts_a_missing_idempotency_key()
    {
        var message = OrderMessageDecoder.Decode(Source, "p1"u8.ToArray(),
            """{"type":"OrderAccepted","orderId":"8f8c7c1e-0d7e-4d55-9a43-3a0c6f1f4a10","productId":"p1","userId":"u","acceptedAt":"2026-01-01T00:00:00Z"}"""u8.ToArray());

        var accepted = Assert.IsType<OrderAccepted>(message.Event);
        Assert.Null(accepted.IdempotencyKey);
    }
}
