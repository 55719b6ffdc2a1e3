using System.Diagnostics;
using System.Text;
using Confluent.Kafka;
using FluxGate.Contracts;

namespace FluxGate.Tests.Contracts;

public class KafkaTraceContextTests
{
    [Fact]
    public void What_is_injected_is_extracted_as_the_remote_parent()
    {
        using var activity = new Activity("send orders");
        activity.ActivityTraceFlags = ActivityTraceFlags.Recorded;
        activity.TraceStateString = "vendor=value";
        activity.Start();
        var headers = new Headers();

        KafkaTraceContext.Inject(activity, headers);

        Assert.Equal($"00-{activity.TraceId}-{activity.SpanId}-01", Encoding.UTF8.GetString(headers.GetLastBytes("traceparent")));
        Assert.True(KafkaTraceContext.TryExtract(headers, out var context));
        Assert.Equal(activity.TraceId, context.TraceId);
        Assert.Equal(activity.SpanId, context.SpanId);
        Assert.Equal(ActivityTraceFlags.Recorded, context.TraceFlags);
        Assert.Equal("vendor=value", context.TraceState);
        Assert.True(context.IsRemote);
    }

    [Fact]
    public void Messages_without_a_trace_context_have_none()
    {
        Assert.False(KafkaTraceContext.TryExtract(null, out _));
        Assert.False(KafkaTraceContext.TryExtract([], out _));
        Assert.False(KafkaTraceContext.TryExtract([new Header("other", "x"u8.ToArray())], out _));
    }

    [Theory]
    [InlineData("")]
    [InlineData("not a traceparent")]
    [InlineData("00-00000000000000000000000000000000-0000000000000000-01")] // all-zero ids are invalid
    [InlineData("00-0af7651916cd43dd8448eb211c80319c-b7ad6b71692033")] // cut short
    public void A_malformed_traceparent_is_ignored(string traceParent)
    {
        Headers headers = [new Header("traceparent", Encoding.UTF8.GetBytes(traceParent))];

        Assert.False(KafkaTraceContext.TryExtract(headers, out var context));
        Assert.Equal(default, context);
    }
}
