using System.Diagnostics;
using System.Text;
using Confluent.Kafka;
using FluxGate.Persister.Diagnostics;
using FluxGate.Persister.Writing;
using FluxGate.Tests.Tracing;

namespace FluxGate.Tests.Persister;

/// <summary>
/// The persister's spans, driven the way the consumer drives them, without Kafka or PostgreSQL. The source is static
/// and other tests' persisters may record on it meanwhile: spans are picked by this test's own trace ids and topic.
/// </summary>
public sealed class BatchTracingTests : IDisposable
{
    private const string Topic = "tracing-unit";
    private readonly SpanRecorder _spans = new(source => source.Name == BatchTracing.SourceName);
    private readonly BatchTracing _tracing = new(Topic, "tracing-group");
    private long _nextOffset;

    [Fact]
    public void A_landed_batch_carries_its_outcome_and_each_traced_message_gets_a_span_parented_to_its_producer()
    {
        var first = Producer();
        var second = Producer();
        var (firstMessage, secondMessage) = (Message(0, first), Message(1, second));
        _tracing.Taken(firstMessage);
        _tracing.Taken(Message(0, producer: null)); // e.g. produced by a tool: processed, but not traced
        _tracing.Taken(secondMessage);

        _tracing.BatchStarted(messageCount: 3);
        _tracing.Landed(new BatchOutcome
        {
            Received = 3,
            OrdersInserted = 1,
            DuplicateOrders = 1,
            DeadLetters = [new DeadLetter(secondMessage.TopicPartitionOffset, "Not an order event")],
        });
        _tracing.BatchEnded();

        var batch = Assert.Single(BatchSpans(first));
        Assert.Equal("persist tracing-unit", batch.DisplayName);
        Assert.Equal(ActivityKind.Consumer, batch.Kind);
        Assert.Equal(ActivityStatusCode.Unset, batch.Status);
        Assert.Equal(default, batch.ParentSpanId); // a trace of its own
        Assert.Equal([first, second], batch.Links.Select(link => link.Context));
        Assert.Equal(3, batch.GetTagItem("messaging.batch.message_count"));
        Assert.Equal("tracing-group", batch.GetTagItem("messaging.consumer.group.name"));
        Assert.Equal(1, batch.GetTagItem("fluxgate.persister.orders.inserted"));
        Assert.Equal(1, batch.GetTagItem("fluxgate.persister.orders.duplicates"));
        Assert.Equal(1, batch.GetTagItem("fluxgate.persister.messages.dead_lettered"));
        Assert.Equal(1, batch.GetTagItem("fluxgate.persister.write.attempts"));

        var ofFirst = Assert.Single(MessageSpans(first));
        Assert.Equal("process tracing-unit", ofFirst.DisplayName);
        Assert.Equal(ActivityKind.Consumer, ofFirst.Kind);
        Assert.Equal(first.SpanId, ofFirst.ParentSpanId);
        Assert.Equal(ActivityStatusCode.Unset, ofFirst.Status);
        Assert.Equal("0", ofFirst.GetTagItem("messaging.destination.partition.id"));
        Assert.Equal(firstMessage.Offset.Value, ofFirst.GetTagItem("messaging.kafka.offset"));
        Assert.Equal("p1", ofFirst.GetTagItem("messaging.kafka.message.key"));
        Assert.Equal(batch.Context, Assert.Single(ofFirst.Links).Context);
        // From the moment it joined the batch to the batch's end: the span covers the whole write.
        Assert.True(ofFirst.StartTimeUtc <= batch.StartTimeUtc);
        Assert.True(ofFirst.StartTimeUtc + ofFirst.Duration >= batch.StartTimeUtc + batch.Duration);

        var ofSecond = Assert.Single(MessageSpans(second));
        Assert.Equal(ActivityStatusCode.Error, ofSecond.Status);
        Assert.Equal("Not an order event", ofSecond.StatusDescription);
    }

    [Fact]
    public void A_batch_that_does_not_land_is_an_error_with_its_failed_attempts_as_events_and_no_message_spans()
    {
        var producer = Producer();
        _tracing.Taken(Message(0, producer));

        _tracing.BatchStarted(messageCount: 1);
        _tracing.WriteFailed(new InvalidOperationException("PostgreSQL is down"));
        _tracing.WriteFailed(new InvalidOperationException("PostgreSQL is still down"));
        _tracing.BatchEnded(); // e.g. the service stopped during the retry

        var batch = Assert.Single(BatchSpans(producer));
        Assert.Equal(ActivityStatusCode.Error, batch.Status);
        Assert.Equal(
            ["PostgreSQL is down", "PostgreSQL is still down"],
            batch.Events.Where(e => e.Name == "exception").Select(e => e.Tags.Single(tag => tag.Key == "exception.message").Value));
        Assert.Empty(MessageSpans(producer));

        // The next batch starts clean: the messages of the one that did not land are read again, and traced then.
        _tracing.BatchStarted(messageCount: 0);
        _tracing.Landed(BatchOutcome.Empty);
        _tracing.BatchEnded();
        Assert.Empty(MessageSpans(producer));
    }

    [Fact]
    public void A_message_of_a_partition_given_away_gets_no_span()
    {
        var kept = Producer();
        var givenAway = Producer();
        _tracing.Taken(Message(0, kept));
        _tracing.Taken(Message(1, givenAway));

        _tracing.Abandon([new TopicPartition(Topic, 1)]);
        _tracing.BatchStarted(messageCount: 1);
        _tracing.Landed(BatchOutcome.Empty);
        _tracing.BatchEnded();

        Assert.Single(MessageSpans(kept));
        Assert.Empty(MessageSpans(givenAway));
        Assert.Equal([kept], Assert.Single(BatchSpans(kept)).Links.Select(link => link.Context));
    }

    [Fact]
    public void A_large_batch_links_to_at_most_MaxLinks_messages_but_every_message_gets_its_span()
    {
        var traceId = ActivityTraceId.CreateRandom();
        var producers = Enumerable.Range(0, BatchTracing.MaxLinks + 50)
            .Select(_ => new ActivityContext(traceId, ActivitySpanId.CreateRandom(), ActivityTraceFlags.Recorded, isRemote: true))
            .ToList();
        foreach (var producer in producers)
        {
            _tracing.Taken(Message(0, producer));
        }

        _tracing.BatchStarted(producers.Count);
        _tracing.Landed(BatchOutcome.Empty);
        _tracing.BatchEnded();

        Assert.Equal(BatchTracing.MaxLinks, Assert.Single(BatchSpans(producers[0])).Links.Count());
        Assert.Equal(producers.Count, MessageSpans(producers[0]).Count);
    }

    private static ActivityContext Producer() =>
        new(ActivityTraceId.CreateRandom(), ActivitySpanId.CreateRandom(), ActivityTraceFlags.Recorded, isRemote: true);

    private ConsumeResult<byte[]?, byte[]?> Message(int partition, ActivityContext? producer)
    {
        var headers = new Headers();
        if (producer is { } context)
        {
            headers.Add("traceparent", Encoding.UTF8.GetBytes($"00-{context.TraceId}-{context.SpanId}-01"));
        }
        return new ConsumeResult<byte[]?, byte[]?>
        {
            TopicPartitionOffset = new TopicPartitionOffset(Topic, partition, _nextOffset++),
            Message = new Message<byte[]?, byte[]?> { Key = "p1"u8.ToArray(), Value = "{}"u8.ToArray(), Headers = headers },
        };
    }

    private List<Activity> BatchSpans(ActivityContext producer) =>
        _spans.Stopped.Where(span => span.DisplayName == $"persist {Topic}" && span.Links.Any(link => link.Context.TraceId == producer.TraceId)).ToList();

    private List<Activity> MessageSpans(ActivityContext producer) =>
        _spans.Stopped.Where(span => span.DisplayName == $"process {Topic}" && span.TraceId == producer.TraceId).ToList();

    public void Dispose() => _spans.Dispose();
}
