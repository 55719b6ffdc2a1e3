using Confluent.Kafka;
using FluxGate.Persister.Consuming;

namespace FluxGate.Tests.Persister;

public sealed class PendingBatchTests
{
    [Fact]
    public void Commits_the_offset_after_the_last_message_of_each_partition()
    {
        var zero = new OrderLog(partition: 0);
        var one = new OrderLog(partition: 1);
        var batch = new PendingBatch();
        var now = DateTimeOffset.UnixEpoch;

        batch.Add(zero.Init("a", 1), now);
        batch.Add(one.Init("b", 1), now.AddSeconds(1));
        batch.Add(zero.Order("a", Guid.NewGuid()), now.AddSeconds(2));

        Assert.Equal(now, batch.StartedAt);
        Assert.Equal(
            [new TopicPartitionOffset("orders", 0, 2), new TopicPartitionOffset("orders", 1, 1)],
            batch.CommitOffsets().OrderBy(offset => offset.Partition.Value));
    }

    [Fact]
    public void Abandoning_revoked_partitions_drops_their_messages_and_their_commits()
    {
        var zero = new OrderLog(partition: 0);
        var one = new OrderLog(partition: 1);
        var batch = new PendingBatch();
        batch.Add(zero.Init("a", 1), DateTimeOffset.UnixEpoch);
        batch.Add(one.Init("b", 1), DateTimeOffset.UnixEpoch);
        batch.Add(one.Order("b", Guid.NewGuid()), DateTimeOffset.UnixEpoch);

        var dropped = batch.Abandon([new TopicPartition("orders", 1)]);

        Assert.Equal(2, dropped);
        Assert.Equal(1, batch.Count);
        Assert.Equal([new TopicPartitionOffset("orders", 0, 1)], batch.CommitOffsets());
    }

    [Fact]
    public void The_linger_restarts_with_the_first_message_after_a_clear()
    {
        var log = new OrderLog();
        var batch = new PendingBatch();
        batch.Add(log.Init("a", 1), DateTimeOffset.UnixEpoch);
        batch.Clear();

        batch.Add(log.Init("a", 2), DateTimeOffset.UnixEpoch.AddMinutes(1));

        Assert.Equal(DateTimeOffset.UnixEpoch.AddMinutes(1), batch.StartedAt);
        Assert.Equal([new TopicPartitionOffset("orders", 0, 2)], batch.CommitOffsets());
    }
}
