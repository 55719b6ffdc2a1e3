using System.Diagnostics;
using System.Globalization;
using System.Text;
using Confluent.Kafka;
using FluxGate.Contracts;
using FluxGate.Persister.Writing;

namespace FluxGate.Persister.Diagnostics;

/// <summary>
/// The persister's spans on source <see cref="SourceName"/>, recorded only while a tracer listens (the service defaults
/// subscribe to <c>FluxGate.*</c> when an OTLP exporter is configured):
/// <list type="bullet">
/// <item><c>persist orders</c> (Consumer kind), one per batch, around its database write and offset commit: the
/// database client's spans nest in it; it links to the producer spans of up to <see cref="MaxLinks"/> of its
/// messages and carries the outcome (rows inserted, duplicates, ...) as tags and a batch that did not land as error.</item>
/// <item><c>process orders</c> (Consumer kind), one per message that carries a trace context, parented to that
/// context: from the moment the message joined the batch until the batch was committed. This is what continues an
/// order's own trace into the persister; it links to its batch's span, where the database work is.</item>
/// </list>
/// </summary>
/// <remarks>
/// The message spans are recorded after the fact, with the time the message was taken as start, so nothing is held
/// open across the batching and a message given up in a rebalance leaves no half span (its next owner records one).
/// Belongs to the consumer thread, like <see cref="Consuming.PendingBatch"/>, and is kept in step with it.
/// </remarks>
public sealed class BatchTracing(string topic, string groupId)
{
    public const string SourceName = "FluxGate.Persister.Kafka";

    /// <summary>
    /// Most links on one batch span. A batch holds up to 2000 messages by default; exporters and backends drop or
    /// refuse spans with thousands of links (OpenTelemetry's default limit is 128). Every message still has its own
    /// span, which links back to the batch.
    /// </summary>
    public const int MaxLinks = 128;

    /// <summary>The batch span's <see cref="MessagingAttributes.OperationName"/>: processing, done as one database write.</summary>
    private const string PersistOperation = "persist";

    private static readonly ActivitySource Source = new(SourceName);

    private readonly string _batchSpanName = $"{PersistOperation} {topic}";
    private readonly string _messageSpanName = $"{MessagingAttributes.Process} {topic}";
    private readonly List<TracedMessage> _messages = [];
    private Activity? _batch;
    private bool _landed;
    private int _failedAttempts;

    /// <summary>Notes a message that joined the pending batch, if it carries a trace context and anyone listens.</summary>
    public void Taken(ConsumeResult<byte[]?, byte[]?> result)
    {
        if (Source.HasListeners() && KafkaTraceContext.TryExtract(result.Message.Headers, out var producer))
        {
            _messages.Add(new TracedMessage(result.TopicPartitionOffset, result.Message.Key, producer, DateTimeOffset.UtcNow));
        }
    }

    /// <summary>Forgets the messages of partitions given away, as the pending batch does.</summary>
    public void Abandon(IReadOnlyCollection<TopicPartition> partitions)
    {
        if (_messages.Count > 0)
        {
            _messages.RemoveAll(message => partitions.Contains(message.Source.TopicPartition));
        }
    }

    /// <summary>Starts the batch span, which becomes the current activity of the write.</summary>
    public void BatchStarted(int messageCount)
    {
        _landed = false;
        _failedAttempts = 0;
        if (!Source.HasListeners())
        {
            return;
        }
        var links = _messages.Count == 0
            ? null
            : _messages.Take(MaxLinks).Select(message => new ActivityLink(message.Producer)).ToList();
        // A batch serves many orders: it is a trace of its own, whatever flowed into the consumer thread at start.
        Activity.Current = null;
        _batch = Source.StartActivity(_batchSpanName, ActivityKind.Consumer, parentContext: default, links: links);
        if (_batch is { IsAllDataRequested: true })
        {
            _batch.SetTag(MessagingAttributes.System, MessagingAttributes.Kafka);
            _batch.SetTag(MessagingAttributes.OperationType, MessagingAttributes.Process);
            _batch.SetTag(MessagingAttributes.OperationName, PersistOperation);
            _batch.SetTag(MessagingAttributes.DestinationName, topic);
            _batch.SetTag(MessagingAttributes.ConsumerGroup, groupId);
            _batch.SetTag(MessagingAttributes.BatchMessageCount, messageCount);
        }
    }

    /// <summary>A write attempt failed and will be retried: an exception event on the batch span.</summary>
    public void WriteFailed(Exception exception)
    {
        _failedAttempts++;
        _batch?.AddException(exception);
    }

    /// <summary>The batch is in the database but its offsets are not committed (a re-read will be skipped there).</summary>
    public void CommitFailed(KafkaException exception) => _batch?.AddException(exception);

    /// <summary>The batch is written and committed: its span gets the outcome, each traced message its span.</summary>
    public void Landed(BatchOutcome outcome)
    {
        _landed = true;
        var batch = _batch;
        _batch = null;
        if (batch is not null)
        {
            if (batch.IsAllDataRequested)
            {
                batch.SetTag("fluxgate.persister.orders.inserted", outcome.OrdersInserted);
                batch.SetTag("fluxgate.persister.orders.duplicates", outcome.DuplicateOrders);
                batch.SetTag("fluxgate.persister.orders.cancelled", outcome.OrdersCancelled);
                batch.SetTag("fluxgate.persister.stock.initializations", outcome.StockInitializations);
                batch.SetTag("fluxgate.persister.messages.already_applied", outcome.AlreadyApplied);
                batch.SetTag("fluxgate.persister.messages.dead_lettered", outcome.DeadLetters.Count);
                batch.SetTag("fluxgate.persister.inconsistencies", outcome.Inconsistencies.Count);
                batch.SetTag("fluxgate.persister.write.attempts", _failedAttempts + 1);
                if (outcome.RefusedTogether)
                {
                    batch.SetTag("fluxgate.persister.batch.refused_together", true);
                }
            }
            batch.Stop();
        }
        // Even when the batch span was sampled out: an order's trace may be sampled in, and continues here.
        RecordMessages(batch?.Context, outcome.DeadLetters);
    }

    /// <summary>
    /// Ends the batch span. A batch that did not land (the service stopped during a retry, or every partition of it was
    /// given away) is marked as error; its messages are read again later, by whoever owns their partitions then.
    /// </summary>
    public void BatchEnded()
    {
        if (_batch is { } batch)
        {
            if (!_landed)
            {
                batch.SetStatus(ActivityStatusCode.Error, "The batch did not land; its messages will be read again.");
            }
            batch.Stop();
            _batch = null;
        }
        if (!_landed)
        {
            _messages.Clear();
        }
    }

    /// <summary>Forgets the pending messages, as the pending batch does when the consumer stops.</summary>
    public void Clear() => _messages.Clear();

    private void RecordMessages(ActivityContext? batch, IReadOnlyList<DeadLetter> deadLetters)
    {
        if (_messages.Count == 0)
        {
            return;
        }
        Dictionary<TopicPartitionOffset, string>? deadLettered = null;
        foreach (var letter in deadLetters)
        {
            (deadLettered ??= []).TryAdd(letter.Source, letter.Error);
        }
        ActivityLink[]? toBatch = batch is { } context ? [new(context)] : null;
        foreach (var message in _messages)
        {
            using var span = Source.StartActivity(_messageSpanName, ActivityKind.Consumer, message.Producer, links: toBatch, startTime: message.TakenAt);
            if (span is null)
            {
                continue;
            }
            if (span.IsAllDataRequested)
            {
                span.SetTag(MessagingAttributes.System, MessagingAttributes.Kafka);
                span.SetTag(MessagingAttributes.OperationType, MessagingAttributes.Process);
                span.SetTag(MessagingAttributes.OperationName, MessagingAttributes.Process);
                span.SetTag(MessagingAttributes.DestinationName, topic);
                span.SetTag(MessagingAttributes.ConsumerGroup, groupId);
                span.SetTag(MessagingAttributes.PartitionId, message.Source.Partition.Value.ToString(CultureInfo.InvariantCulture));
                span.SetTag(MessagingAttributes.KafkaOffset, message.Source.Offset.Value);
                if (message.Key is not null)
                {
                    span.SetTag(MessagingAttributes.KafkaMessageKey, Encoding.UTF8.GetString(message.Key));
                }
            }
            if (deadLettered is not null && deadLettered.TryGetValue(message.Source, out var error))
            {
                span.SetStatus(ActivityStatusCode.Error, error);
            }
        }
        // Each span above was the current activity until it stopped; none is left current on the consumer thread.
        Activity.Current = null;
        _messages.Clear();
    }

    private readonly record struct TracedMessage(TopicPartitionOffset Source, byte[]? Key, ActivityContext Producer, DateTimeOffset TakenAt);
}
