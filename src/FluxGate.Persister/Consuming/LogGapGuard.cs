using Confluent.Kafka;
using FluxGate.Persister.Diagnostics;

namespace FluxGate.Persister.Consuming;

/// <summary>
/// Knows where each assigned partition must go on (its committed offset, then one past each message taken) and notices
/// when the log no longer holds that position: the broker dropped events this group never persisted (retention, or the
/// development broker's 5 MB cap per partition), and <c>auto.offset.reset</c> would skip them without a word. A gap is
/// never skipped silently: it is logged with its partition and offsets, counted, and turns <c>/health</c> Degraded.
/// </summary>
/// <remarks>
/// Checked twice: on assignment (committed offset below the log start; catches a gap with no newer message to read) and
/// on every message (an offset beyond the expected one, confirmed by the log start, so the offset holes of compacted
/// or transactional topics are not taken for a loss). Runs on the consumer thread only.
/// </remarks>
public sealed partial class LogGapGuard(PersisterMetrics metrics, ConsumerLoopState state, ILogger<LogGapGuard> logger)
{
    private static readonly TimeSpan QueryTimeout = TimeSpan.FromSeconds(5);
    private readonly Dictionary<TopicPartition, long> _next = [];

    /// <summary>New partitions: from their committed offsets (none committed: the log's beginning, offset 0).</summary>
    public void Assigned(IConsumer<byte[]?, byte[]?> consumer, IReadOnlyList<TopicPartition> partitions)
    {
        if (partitions.Count == 0)
        {
            return;
        }
        List<TopicPartitionOffset> committed;
        try
        {
            committed = consumer.Committed(partitions, QueryTimeout);
        }
        catch (KafkaException exception)
        {
            // Without the committed offsets the first message of each partition sets the baseline; a gap before it goes unseen.
            LogCommittedUnknown(exception.Error.Code, exception.Error.Reason);
            return;
        }
        foreach (var position in committed)
        {
            var next = position.Offset.Value >= 0 ? position.Offset.Value : 0;
            _next[position.TopicPartition] = next;
            if (LogStart(consumer, position.TopicPartition) is { } start && start > next)
            {
                Report(position.TopicPartition, next, start, "on assignment");
                _next[position.TopicPartition] = start;
            }
        }
    }

    /// <summary>A message is about to be persisted: was everything before it, since the last one, still in the log?</summary>
    public void Taken(IConsumer<byte[]?, byte[]?> consumer, TopicPartitionOffset message)
    {
        var offset = message.Offset.Value;
        if (_next.TryGetValue(message.TopicPartition, out var expected) && offset > expected)
        {
            var start = LogStart(consumer, message.TopicPartition);
            if (start is null || start > expected)
            {
                Report(message.TopicPartition, expected, Math.Min(offset, start ?? offset), "while consuming");
            }
        }
        _next[message.TopicPartition] = offset + 1;
    }

    public void GivenUp(IEnumerable<TopicPartition> partitions)
    {
        foreach (var partition in partitions)
        {
            _next.Remove(partition);
        }
    }

    private long? LogStart(IConsumer<byte[]?, byte[]?> consumer, TopicPartition partition)
    {
        try
        {
            var low = consumer.QueryWatermarkOffsets(partition, QueryTimeout).Low;
            return low.Value >= 0 ? low.Value : null;
        }
        catch (KafkaException exception)
        {
            LogStartUnknown(partition.Topic, partition.Partition.Value, exception.Error.Code, exception.Error.Reason);
            return null;
        }
    }

    /// <param name="to">Exclusive: the first offset still in the log.</param>
    private void Report(TopicPartition partition, long from, long to, string when)
    {
        var lost = to - from;
        metrics.LogGap(partition.Partition.Value, lost);
        state.LogGap($"{partition.Topic}[{partition.Partition.Value}] offsets {from}..{to - 1} ({lost} events) left the log unread");
        LogGapDetected(partition.Topic, partition.Partition.Value, from, to - 1, lost, when);
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Log gap on {Topic}[{Partition}]: offsets {From}..{To} ({Lost} events) left the log before this " +
        "group persisted them (retention or the broker's size cap), detected {When}. They are not in PostgreSQL unless the api's reconciler produces them again.")]
    private partial void LogGapDetected(string topic, int partition, long from, long to, long lost, string when);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not read the committed offsets of newly assigned partitions ({Code}: {Reason}); a log gap before them would go unseen")]
    private partial void LogCommittedUnknown(ErrorCode code, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not read where the log of {Topic}[{Partition}] starts ({Code}: {Reason})")]
    private partial void LogStartUnknown(string topic, int partition, ErrorCode code, string reason);
}
