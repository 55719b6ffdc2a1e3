using FluxGate.Api.Orders;
using FluxGate.Api.Redis;
using FluxGate.Contracts;
using StackExchange.Redis;

namespace FluxGate.Tests.Api;

/// <summary>The api's records of orders (<see cref="OrderRecords"/>): what finds an order between Kafka's acknowledgement and PostgreSQL's insert.</summary>
public class OrderRecordsTests
{
    [Theory]
    [InlineData("a|b")]
    [InlineData("|||")]
    [InlineData("quote \" backslash \\ colon : brace {")]
    [InlineData("Zoë 用户 😀")]
    public void Every_field_comes_back_exactly_as_given(string userId)
    {
        var accepted = new OrderAccepted(Guid.CreateVersion7(), "ps5:disc", userId, "key|with,separators",
            new DateTimeOffset(2026, 11, 24, 12, 0, 0, 123, TimeSpan.Zero));

        var record = OrderRecords.Parse(new HashEntry(accepted.OrderId.ToString("N"), AcknowledgedEvent.Value(1_764_000_000_000, accepted)));

        Assert.Equal(new AcknowledgedEvent(accepted.OrderId.ToString("N"), 1_764_000_000_000, accepted), record);
    }

    [Theory]
    [InlineData("ps5|user|1764000000000")]
    [InlineData("{\"type\":\"OrderCancelled\",\"orderId\":\"0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b\",\"productId\":\"p\",\"cancelledAt\":\"2026-01-01T00:00:00Z\"}")]
    [InlineData("C\n0193a1b2c3d47e5f8a9b0c1d2e3f4a5b\n638000000000000000\np")]
    [InlineData("R:")]
    [InlineData("")]
    public void Anything_else_is_no_record(string stored)
    {
        Assert.Null(OrderRecords.Parse(new HashEntry("0193a1b2c3d47e5f8a9b0c1d2e3f4a5b", stored)));
        Assert.Null(OrderRecords.Parse(new HashEntry("0193a1b2c3d47e5f8a9b0c1d2e3f4a5b", RedisValue.Null)));
    }

    [Fact]
    public void A_reservation_names_its_bucket_key_ticket_and_customer()
    {
        var bucket = StockBuckets.Of("p", 4)[2];
        var key = RedisKeys.Idempotency(bucket, "k");
        var record = OrderRecords.Parse(new HashEntry("0193a1b2c3d47e5f8a9b0c1d2e3f4a5b", $"R1764000000000:7:{key}\nc1"));

        var reservation = Assert.IsType<InFlightReservation>(record);
        Assert.Equal((1_764_000_000_000, 7L, key, "c1", bucket),
            (reservation.ReservedAtMs, reservation.AdmissionTicket!.Value, reservation.IdempotencyRedisKey, reservation.CustomerId, reservation.Bucket));
    }
}
