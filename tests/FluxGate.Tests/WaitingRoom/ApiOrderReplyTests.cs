using FluxGate.Contracts;
using FluxGate.WaitingRoom.Ordering;

namespace FluxGate.Tests.WaitingRoom;

public class ApiOrderReplyTests
{
    [Theory]
    [InlineData(200, """{"status":"success","msg":"Order accepted","orderId":"o-1"}""", OrderOutcome.Accepted, false)]
    [InlineData(200, """{"status":"ignored","msg":"Duplicate request","orderId":"o-1"}""", OrderOutcome.Duplicate, false)]
    [InlineData(302, "", OrderOutcome.RateLimited, true)]
    [InlineData(409, """{"status":"sold_out","msg":"Inventory empty"}""", OrderOutcome.SoldOut, false)]
    [InlineData(409, """{"status":"limit_reached","msg":"Purchase limit reached"}""", OrderOutcome.LimitReached, false)]
    [InlineData(429, """{"status":"in_progress"}""", OrderOutcome.InProgress, true)]
    [InlineData(403, """{"status":"error","msg":"Admission token already used"}""", OrderOutcome.Refused, false)]
    [InlineData(400, """{"error":"Missing Idempotency Key"}""", OrderOutcome.Invalid, false)]
    [InlineData(500, """{"status":"error","msg":"Order processing failed"}""", OrderOutcome.Failed, true)]
    [InlineData(503, "not json", OrderOutcome.Failed, true)]
    [InlineData(0, "", OrderOutcome.Unreachable, true)]
    public void The_apis_answers_map_to_outcomes_and_only_transient_ones_are_retried(
        int status, string body, OrderOutcome outcome, bool retryable)
    {
        var reply = new ApiOrderReply(status, body, null);

        Assert.Equal(outcome, reply.Outcome);
        Assert.Equal(retryable, reply.IsRetryable);
    }

    [Fact]
    public void Order_id_and_message_are_read_from_the_body_when_present()
    {
        var accepted = new ApiOrderReply(200, """{"status":"success","msg":"Order accepted","orderId":"o-1"}""", null);
        var invalid = new ApiOrderReply(400, """{"error":"Missing Idempotency Key"}""", null);
        var garbage = new ApiOrderReply(500, "<html>", null);

        Assert.Equal("o-1", accepted.OrderId);
        Assert.Equal("Order accepted", accepted.Message);
        Assert.Equal("Missing Idempotency Key", invalid.Message);
        Assert.Null(garbage.OrderId);
        Assert.Null(garbage.Message);
    }
}
