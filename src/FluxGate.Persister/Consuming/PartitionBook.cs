using System.Diagnostics;
using Confluent.Kafka;

namespace FluxGate.Persister.Consuming;

/// <summary>
/// The partitions this consumer owns and the offsets it committed for them: what the lag is measured against. Used on
/// the consumer's own thread only.
/// </summary>
internal sealed class PartitionBook
{
    private static readonly TimeSpan LagSampleInterval = TimeSpan.FromSeconds(1);
    private readonly Dictionary<TopicPartition, long> _committed = [];
    private readonly HashSet<TopicPartition> _owned = [];
    private long _lastLagSample;

    public int Owned => _owned.Count;

    public void Assigned(IEnumerable<TopicPartition> partitions) => _owned.UnionWith(partitions);

    public void GivenUp(IEnumerable<TopicPartition> partitions)
    {
        foreach (var partition in partitions)
        {
            _committed.Remove(partition);
            _owned.Remove(partition);
        }
    }

    public void Committed(IEnumerable<TopicPartitionOffset> offsets)
    {
        foreach (var offset in offsets)
        {
            _committed[offset.TopicPartition] = offset.Offset.Value;
        }
    }

    /// <summary>A new consumer starts from the committed offsets in Kafka: nothing of the old one holds.</summary>
    public void Clear()
    {
        _committed.Clear();
        _owned.Clear();
    }

    /// <summary>
    /// Lag = the partition's high watermark minus the next offset to persist (the last committed one, or the
    /// consumer's position before the first commit), at most once a second. Both are local, cached values: no broker
    /// round trip.
    /// </summary>
    /// <returns>The lag, or null when the last sample is less than a second old.</returns>
    public long? SampleLag(IConsumer<byte[]?, byte[]?> consumer)
    {
        var now = Stopwatch.GetTimestamp();
        if (Stopwatch.GetElapsedTime(_lastLagSample, now) < LagSampleInterval)
        {
            return null;
        }
        _lastLagSample = now;

        long lag = 0;
        foreach (var partition in consumer.Assignment)
        {
            var high = consumer.GetWatermarkOffsets(partition).High;
            if (high == Offset.Unset)
            {
                continue;
            }
            var next = _committed.TryGetValue(partition, out var committed) ? committed : consumer.Position(partition).Value;
            if (next >= 0)
            {
                lag += Math.Max(0, high.Value - next);
            }
        }
        return lag;
    }
}
