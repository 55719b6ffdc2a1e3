using System.Text;
using System.Text.Json;
using FluxGate.Contracts;

namespace FluxGate.Tests.Contracts;

public class OrderEventSerializerTests
{
    [Fact]
    public void OrderAccepted_round_trips_with_its_type_and_camel_case_fields()
    {
        var accepted = new OrderAccepted(Guid.NewGuid(), "iphone-15", "user-1", "key-1", DateTimeOffset.UnixEpoch);

        var json = OrderEventSerializer.Serialize(accepted);

        using var document = JsonDocument.Parse(json);
        Assert.Equal("OrderAccepted", document.RootElement.GetProperty("type").GetString());
        Assert.Equal("iphone-15", document.RootElement.GetProperty("productId").GetString());
        Assert.Equal("key-1", document.RootElement.GetProperty("idempotencyKey").GetString());
        Assert.Equal(accepted, OrderEventSerializer.Deserialize(json));
    }

    [Fact]
    public void The_type_discriminator_may_come_after_the_fields()
    {
        var json = """{"productId":"p","quantity":5,"initializedAt":"2026-01-01T00:00:00+00:00","type":"StockInitialized"}""";

        var orderEvent = OrderEventSerializer.Deserialize(Encoding.UTF8.GetBytes(json));

        Assert.Equal(new StockInitialized("p", 5, new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero)), orderEvent);
    }

    [Fact]
    public void A_scheduled_init_carries_its_start_and_an_immediate_one_writes_none()
    {
        var at = new DateTimeOffset(2026, 12, 24, 10, 0, 0, TimeSpan.Zero);
        var scheduled = new StockInitialized("p", 5, DateTimeOffset.UnixEpoch, at);

        Assert.Equal(scheduled, OrderEventSerializer.Deserialize(OrderEventSerializer.Serialize(scheduled)));
        using var immediate = JsonDocument.Parse(OrderEventSerializer.Serialize(new StockInitialized("p", 5, DateTimeOffset.UnixEpoch)));
        Assert.False(immediate.RootElement.TryGetProperty("startsAt", out _));
    }

    [Theory]
    [InlineData("""{"type":"Nope","productId":"p"}""")]
    [InlineData("""not json""")]
    [InlineData("""null""")]
    public void Unknown_or_malformed_messages_are_rejected(string json)
    {
        Assert.ThrowsAny<JsonException>(() => OrderEventSerializer.Deserialize(Encoding.UTF8.GetBytes(json)));
    }
}
