using Confluent.Kafka;
using FluxGate.Persister.Decoding;

namespace FluxGate.Persister.Consuming;

/// <summary>
/// The messages consumed but not yet written and committed. Belongs to the consumer thread (the rebalance
/// callbacks run on it too, inside Consume), so it needs no locking.
/// </summary>
public sealed class PendingBatch
{
    private readonly List<OrderMessage> _messages = [];

    public int Count => _messages.Count;

    public IReadOnlyList<OrderMessage> Messages => _messages;

    /// <summary>When the first message of this batch arrived (the linger counts from here).</summary>
    public DateTimeOffset StartedAt { get; private set; }

    public void Add(OrderMessage message, DateTimeOffset now)
    {
        if (_messages.Count == 0)
        {
            StartedAt = now;
        }
        _messages.Add(message);
    }

    /// <summary>
    /// Drops the messages of partitions this consumer no longer owns: their new owner reads them again from the
    /// last committed offset, so nothing is lost, and nothing is committed here for partitions we gave away.
    /// </summary>
    /// <returns>How many messages were dropped.</returns>
    public int Abandon(IEnumerable<TopicPartition> partitions)
    {
        var gone = partitions.ToHashSet();
        return _messages.RemoveAll(message => gone.Contains(message.Source.TopicPartition));
    }

    /// <summary>The offsets to commit once the batch has landed: per partition, the one after its last message.</summary>
    public IReadOnlyList<TopicPartitionOffset> CommitOffsets() =>
        _messages.GroupBy(message => message.Source.TopicPartition)
            .Select(partition => new TopicPartitionOffset(partition.Key, new Offset(partition.Max(message => message.Offset) + 1)))
            .ToList();

    public void Clear() => _messages.Clear();
}
