using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;
using Confluent.Kafka;
using FluxGate.Api.Kafka;
using FluxGate.Api.Options;
using FluxGate.Api.Telemetry;
using FluxGate.AppHost.Local;
using FluxGate.Clients;
using FluxGate.Contracts;
using FluxGate.Tests.Tracing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace FluxGate.Tests.Api;

/// <summary>
/// The <c>send orders</c> span and the trace context it puts on the message, against the librdkafka mock broker. Each
/// producer gets an <see cref="ActivitySource"/> of its own, so whether anyone listens is up to the test alone.
/// </summary>
public sealed class OrderEventProducerTracingTests : IDisposable
{
    private readonly ServiceProvider _services = new ServiceCollection().AddMetrics().BuildServiceProvider();

    [Fact]
    public async Task With_a_listener_the_message_carries_the_send_span_that_continues_the_request_trace()
    {
        await using var kafka = KafkaMockCluster.Start();
        using var source = new ActivitySource(ProduceTracing.SourceName);
        using var spans = new SpanRecorder(candidate => candidate == source);
        using var producer = CreateProducer(kafka, source);
        var order = new OrderAccepted(Guid.CreateVersion7(), "p1", "u1", "k1", DateTimeOffset.UtcNow);

        DeliveryOutcome outcome;
        using (var request = new Activity("POST /order").Start()) // stands in for ASP.NET Core's request span
        {
            outcome = await producer.ProduceAsync(order);
            Assert.Same(request, Activity.Current); // the send span is over and no longer current
        }

        Assert.Equal(DeliveryOutcome.Persisted, outcome);
        var send = Assert.Single(spans.Stopped);
        var message = ReadOne(kafka.BootstrapServers);
        Assert.Equal(ProduceTracing.SpanName, send.DisplayName);
        Assert.Equal("send orders", send.DisplayName);
        Assert.Equal(ActivityKind.Producer, send.Kind);
        Assert.Equal(ActivityStatusCode.Unset, send.Status);
        Assert.True(KafkaTraceContext.TryExtract(message.Message.Headers, out var carried));
        Assert.Equal(send.TraceId, carried.TraceId);
        Assert.Equal(send.SpanId, carried.SpanId);
        Assert.Equal("kafka", send.GetTagItem("messaging.system"));
        Assert.Equal("send", send.GetTagItem("messaging.operation.type"));
        Assert.Equal("orders", send.GetTagItem("messaging.destination.name"));
        Assert.Equal("p1", send.GetTagItem("messaging.kafka.message.key"));
        Assert.Equal(message.Partition.Value.ToString(CultureInfo.InvariantCulture), send.GetTagItem("messaging.destination.partition.id"));
        Assert.Equal(message.Offset.Value, send.GetTagItem("messaging.kafka.offset"));
        Assert.Equal(order, OrderEventSerializer.Deserialize(message.Message.Value));
    }

    [Fact]
    public async Task The_send_span_is_a_child_of_the_request_span()
    {
        await using var kafka = KafkaMockCluster.Start();
        using var source = new ActivitySource(ProduceTracing.SourceName);
        using var spans = new SpanRecorder(candidate => candidate == source);
        using var producer = CreateProducer(kafka, source);

        using var request = new Activity("POST /order").Start();
        await producer.ProduceAsync(new OrderAccepted(Guid.CreateVersion7(), "p1", "u1", "k1", DateTimeOffset.UtcNow));

        var send = Assert.Single(spans.Stopped);
        Assert.Equal(request.TraceId, send.TraceId);
        Assert.Equal(request.SpanId, send.ParentSpanId);
    }

    [Fact]
    public async Task Without_a_listener_the_message_has_no_headers_even_inside_a_request_span()
    {
        await using var kafka = KafkaMockCluster.Start();
        using var source = new ActivitySource(ProduceTracing.SourceName); // nobody listens to this instance
        using var producer = CreateProducer(kafka, source);

        using var request = new Activity("POST /order").Start();
        var outcome = await producer.ProduceAsync(new OrderAccepted(Guid.CreateVersion7(), "p1", "u1", "k1", DateTimeOffset.UtcNow));

        Assert.Equal(DeliveryOutcome.Persisted, outcome);
        var message = ReadOne(kafka.BootstrapServers);
        Assert.Empty(message.Message.Headers ?? []);
        Assert.False(source.HasListeners());
    }

    [Fact]
    public async Task A_failed_delivery_marks_the_send_span_as_an_error()
    {
        await using var kafka = KafkaMockCluster.Start();
        using var source = new ActivitySource(ProduceTracing.SourceName);
        using var spans = new SpanRecorder(candidate => candidate == source);
        using var producer = CreateProducer(kafka, source, new KafkaProducerOptions { DeliveryTimeout = TimeSpan.FromMilliseconds(500) });
        kafka.SetAllBrokersDown();

        var outcome = await producer.ProduceAsync(new OrderAccepted(Guid.CreateVersion7(), "p1", "u1", "k1", DateTimeOffset.UtcNow));

        Assert.NotEqual(DeliveryOutcome.Persisted, outcome);
        var send = Assert.Single(spans.Stopped);
        Assert.Equal(ActivityStatusCode.Error, send.Status);
        Assert.NotNull(send.StatusDescription);
        Assert.Equal(ErrorCode.Local_MsgTimedOut.ToString(), send.GetTagItem("error.type"));
        Assert.Equal(outcome.ToString(), send.GetTagItem("fluxgate.delivery.outcome"));
    }

    private OrderEventProducer CreateProducer(KafkaMockCluster kafka, ActivitySource source, KafkaProducerOptions? options = null) =>
        new(new KafkaConnection(kafka.BootstrapServers, new Dictionary<string, string>()),
            Microsoft.Extensions.Options.Options.Create(options ?? new KafkaProducerOptions()),
            new OrderMetrics(_services.GetRequiredService<IMeterFactory>()),
            NullLogger<OrderEventProducer>.Instance,
            source);

    private static ConsumeResult<string, byte[]> ReadOne(string bootstrapServers)
    {
        using var consumer = new ConsumerBuilder<string, byte[]>(new ConsumerConfig
        {
            BootstrapServers = bootstrapServers,
            GroupId = $"tracing-test-{Guid.NewGuid():N}",
            AutoOffsetReset = AutoOffsetReset.Earliest,
            EnableAutoCommit = false,
        }).Build();
        consumer.Subscribe(Topics.Orders);
        try
        {
            return consumer.Consume(TimeSpan.FromSeconds(30)) ?? throw new TimeoutException("No message on the orders topic within 30 s");
        }
        finally
        {
            consumer.Close();
        }
    }

    public void Dispose() => _services.Dispose();
}
