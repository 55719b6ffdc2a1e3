using FluxGate.Api.Orders;
using FluxGate.Api.Redis;

namespace FluxGate.Tests.Api;

/// <summary>The in-flight record the order script writes, as the reconciler reads it back.</summary>
public sealed class InFlightReservationTests
{
    private static readonly Guid OrderId = Guid.NewGuid();

    [Fact]
    public void A_record_without_a_ticket_keeps_an_idempotency_key_full_of_colons()
    {
        var key = RedisKeys.Idempotency("p:1", "a:b::c");
        var reservation = InFlightReservation.Parse(OrderId.ToString("N"), $"1767225600123::{key}");
        Assert.Equal(new InFlightReservation(OrderId, 1767225600123, null, key), reservation);
    }

    [Fact]
    public void A_record_with_a_ticket()
    {
        var reservation = InFlightReservation.Parse(OrderId.ToString("N"), "5:42:fg:{p}:idem:k");
        Assert.Equal(new InFlightReservation(OrderId, 5, 42, "fg:{p}:idem:k"), reservation);
    }

    [Fact]
    public void A_record_that_counts_against_a_purchase_limit_names_its_customer_after_a_newline()
    {
        var key = RedisKeys.Idempotency("p", "k:1");
        var reservation = InFlightReservation.Parse(OrderId.ToString("N"), $"5::{key}\nuser:1|ü\nx");
        Assert.Equal(new InFlightReservation(OrderId, 5, null, key, "user:1|ü\nx"), reservation);
    }

    [Theory]
    [InlineData("not-a-guid", "5::k")]
    [InlineData(null, "5")]
    [InlineData(null, "x::k")]
    [InlineData(null, "5:t:k")]
    public void Anything_else_is_no_record(string? orderId, string value) =>
        Assert.Null(InFlightReservation.Parse(orderId ?? OrderId.ToString("N"), value));
}
