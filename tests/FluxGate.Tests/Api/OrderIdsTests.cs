using FluxGate.Api.Orders;
using FluxGate.Api.Redis;
using FluxGate.Contracts;

namespace FluxGate.Tests.Api;

/// <summary>Order ids that carry their stock bucket's hash slot, and the status index key derived from them.</summary>
public class OrderIdsTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(4095)]
    [InlineData(4096)]
    [InlineData(12288)]
    [InlineData(RedisHashSlot.Count - 1)]
    public void An_id_carries_its_slot_and_stays_a_version_7_uuid(int slot)
    {
        var before = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var orderId = OrderIds.New(slot);
        var after = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

        Assert.Equal(slot, OrderIds.SlotOf(orderId));
        Assert.Equal(7, orderId.Version);
        Assert.Equal(0b10, orderId.Variant >> 2); // RFC 9562's variant
        var millis = Convert.ToInt64(orderId.ToString("N")[..12], 16);
        Assert.InRange(millis, before, after);
        Assert.NotEqual(orderId, OrderIds.New(slot));
    }

    [Fact]
    public void The_record_of_an_order_lies_in_the_slot_of_its_stock_bucket()
    {
        foreach (var bucket in new[] { "p1", "ps5:disc", StockBuckets.Of("hot", 4)[3] })
        {
            var orderId = OrderIds.New(RedisHashSlot.Of(bucket));
            var key = OrderRecords.KeyOf(orderId);
            var tag = key[(key.IndexOf('{') + 1)..key.IndexOf('}')];

            Assert.Equal(RedisHashSlot.Of(bucket), RedisHashSlot.Of(tag));
            Assert.EndsWith(":orders", key);
        }
    }

    [Fact]
    public void Every_slot_has_a_tag_no_product_id_can_take()
    {
        for (var slot = 0; slot < RedisHashSlot.Count; slot++)
        {
            var tag = RedisHashSlot.TagOf(slot);
            Assert.Equal(slot, RedisHashSlot.Of(tag));
            Assert.NotNull(InputRules.CheckProductId(tag));
        }
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(RedisHashSlot.Count)]
    public void There_is_no_such_slot(int slot)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => OrderIds.New(slot));
    }
}
