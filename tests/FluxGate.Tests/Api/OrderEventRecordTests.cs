using System.Text;
using FluxGate.Api.Redis;
using FluxGate.Contracts;

namespace FluxGate.Tests.Api;

/// <summary>Redis's compact copy of an order event: what an order's record holds once Kafka has it.</summary>
public class OrderEventRecordTests
{
    [Theory]
    [InlineData("u1", "k1")]
    [InlineData("quote \" backslash \\ colon : brace { pipe |", "key|with,separators:{and}\"quotes\"")]
    [InlineData("Zoë 用户 😀", "~!")]
    public void An_accepted_order_comes_back_exactly_as_given(string userId, string key)
    {
        // 100 ns precision, as the api's clock gives it.
        var accepted = new OrderAccepted(Guid.CreateVersion7(), "ps5:disc-1.0_x", userId, key,
            new DateTimeOffset(2026, 12, 1, 21, 30, 37, TimeSpan.Zero).AddTicks(7_872_321));

        var record = OrderEventRecord.Encode(accepted);

        Assert.Equal(accepted, OrderEventRecord.Decode(record, accepted.OrderId));
        Assert.Equal(accepted.AcceptedAt.UtcTicks, ((OrderAccepted)OrderEventRecord.Decode(record, accepted.OrderId)!).AcceptedAt.UtcTicks);
    }

    [Fact]
    public void An_order_placed_signed_in_keeps_that_in_redis_and_in_kafka_and_an_anonymous_one_writes_nothing_more()
    {
        var signedIn = new OrderAccepted(Guid.CreateVersion7(), "p1", "user-42", "k1", DateTimeOffset.UtcNow, SignedIn: true);
        var anonymous = signedIn with { SignedIn = false };

        Assert.Equal(signedIn, OrderEventRecord.Decode(OrderEventRecord.Encode(signedIn), signedIn.OrderId));
        Assert.Equal(anonymous, OrderEventRecord.Decode(OrderEventRecord.Encode(anonymous), anonymous.OrderId));
        Assert.Equal(OrderEventRecord.Encode(anonymous).Length + 2, OrderEventRecord.Encode(signedIn).Length);
        Assert.Equal(signedIn, OrderEventSerializer.Deserialize(OrderEventSerializer.Serialize(signedIn)));
        Assert.DoesNotContain("signedIn", Encoding.UTF8.GetString(OrderEventSerializer.Serialize(anonymous)));
    }

    [Fact]
    public void A_cancel_comes_back_exactly_as_given()
    {
        var cancel = new OrderCancelled(Guid.CreateVersion7(), "p1", DateTimeOffset.UtcNow);

        Assert.Equal(cancel, OrderEventRecord.Decode(OrderEventRecord.Encode(cancel), cancel.OrderId));
    }

    [Fact]
    public void The_longest_fields_the_input_rules_allow_fit()
    {
        var accepted = new OrderAccepted(Guid.CreateVersion7(), new string('p', InputRules.MaxProductIdLength),
            string.Concat(Enumerable.Repeat("用", InputRules.MaxUserIdLength)), new string('~', InputRules.MaxIdempotencyKeyLength),
            DateTimeOffset.MaxValue);

        Assert.Equal(accepted, OrderEventRecord.Decode(OrderEventRecord.Encode(accepted), accepted.OrderId));
    }

    [Fact]
    public void It_is_about_half_the_size_of_the_event_Kafka_carries()
    {
        var accepted = new OrderAccepted(Guid.CreateVersion7(), "bench-p1", "ur1t1-1000000011", "r1t1-1000000011", DateTimeOffset.UtcNow);

        Assert.True(OrderEventRecord.Encode(accepted).Length * 2 < OrderEventSerializer.Serialize(accepted).Length + 40,
            $"{OrderEventRecord.Encode(accepted).Length} bytes against {OrderEventSerializer.Serialize(accepted).Length}");
    }

    [Theory]
    [InlineData("")]
    [InlineData("{not json")]
    [InlineData("ps5|user|1764000000000")]
    [InlineData("A\n638000000000000000\np\nk")] // a field short
    [InlineData("A\n638000000000000000\np\nk\nu\nextra")]
    [InlineData("C\n638000000000000000\np\nu")]
    [InlineData("A\n-5\np\nk\nu")]
    [InlineData("A\n63800000000000000x\np\nk\nu")]
    [InlineData("A\n99999999999999999999\np\nk\nu")]
    [InlineData("X\n638000000000000000\np")]
    public void Anything_else_is_no_event(string stored)
    {
        Assert.Null(OrderEventRecord.Decode(Encoding.UTF8.GetBytes(stored), Guid.CreateVersion7()));
    }
}
