using FluxGate.Api.Orders;
using FluxGate.Api.Redis;
using FluxGate.Contracts;
using StackExchange.Redis;

namespace FluxGate.Tests.Api;

/// <summary>The Redis index that finds an order between Kafka's acknowledgement and PostgreSQL's insert.</summary>
public class OrderIndexTests
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

        Assert.Equal(accepted, OrderLookup.ReadIndexed(OrderEventRecord.Encode(accepted)));
        // An entry an api before the compact record wrote (JSON) is still found.
        Assert.Equal(accepted, OrderLookup.ReadIndexed(OrderEventSerializer.Serialize(accepted)));
    }

    [Theory]
    [InlineData("ps5|user|1764000000000")]
    [InlineData("{\"type\":\"OrderCancelled\",\"orderId\":\"0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b\",\"productId\":\"p\",\"cancelledAt\":\"2026-01-01T00:00:00Z\"}")]
    [InlineData("C\n0193a1b2c3d47e5f8a9b0c1d2e3f4a5b\n638000000000000000\np")]
    [InlineData("")]
    public void Anything_else_is_no_index_entry(string stored)
    {
        Assert.Null(OrderLookup.ReadIndexed(stored));
        Assert.Null(OrderLookup.ReadIndexed(RedisValue.Null));
    }
}
