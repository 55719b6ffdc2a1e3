using Confluent.Kafka;
using Confluent.Kafka.Admin;
using FluxGate.Clients;
using FluxGate.Contracts;
using FluxGate.Storage;
using StackExchange.Redis;

namespace FluxGate.Api.Reconciliation;

/// <summary>The end of every partition of the orders topic, read at <paramref name="AtMs"/> on the Redis clock.</summary>
public sealed record KafkaEnds(long AtMs, IReadOnlyDictionary<int, long> Ends);

/// <summary>
/// How far the persister has come: the end of each partition in Kafka against <c>applied_offsets</c>, which the persister
/// writes in the same transaction as the rows. Once PostgreSQL has applied a partition up to the end read at time T,
/// every event Kafka had acknowledged before T is in PostgreSQL, or was lost from the log.
/// </summary>
public sealed class PersisterProgress(KafkaConnection kafka, OrderStore store, IConnectionMultiplexer redis) : IDisposable
{
    private static readonly TimeSpan KafkaTimeout = TimeSpan.FromSeconds(5);
    private readonly Lazy<IAdminClient> _admin = new(() => new AdminClientBuilder(kafka.AdminClientConfig()).Build());
    private readonly IDatabase _redis = redis.GetDatabase();

    /// <exception cref="KafkaException">Kafka did not answer.</exception>
    public async Task<KafkaEnds> ReadEndsAsync(CancellationToken cancellationToken)
    {
        // The clock first: whatever Kafka acknowledged before this instant is below the ends read after it.
        var at = await RedisClock.NowMsAsync(_redis);
        var admin = _admin.Value;
        var metadata = await Task.Run(() => admin.GetMetadata(Topics.Orders, KafkaTimeout), cancellationToken);
        var partitions = metadata.Topics.SingleOrDefault(topic => topic.Topic == Topics.Orders)?.Partitions ?? [];
        if (partitions.Count == 0)
        {
            return new KafkaEnds(at, new Dictionary<int, long>());
        }
        var offsets = await admin.ListOffsetsAsync(
            partitions.Select(partition => new TopicPartitionOffsetSpec
            {
                TopicPartition = new TopicPartition(Topics.Orders, partition.PartitionId),
                OffsetSpec = OffsetSpec.Latest(),
            }),
            new ListOffsetsOptions { RequestTimeout = KafkaTimeout });
        return new KafkaEnds(at, offsets.ResultInfos.ToDictionary(
            info => info.TopicPartitionOffsetError.Partition.Value,
            info => info.TopicPartitionOffsetError.Offset.Value));
    }

    /// <summary>Per partition, the next offset the persister will apply (no row: nothing applied yet).</summary>
    public Task<IReadOnlyDictionary<int, long>> ReadAppliedAsync(CancellationToken cancellationToken) =>
        store.AppliedOffsetsAsync(Topics.Orders, cancellationToken);

    /// <summary>Events Kafka had at <paramref name="ends"/> that PostgreSQL has not applied yet (0: caught up).</summary>
    public static long Behind(IReadOnlyDictionary<int, long> applied, KafkaEnds ends) =>
        ends.Ends.Sum(end => Math.Max(0, end.Value - applied.GetValueOrDefault(end.Key)));

    public void Dispose()
    {
        if (_admin.IsValueCreated)
        {
            _admin.Value.Dispose();
        }
    }
}

/// <summary>Redis's clock: the one every api instance and every script of one product agrees on.</summary>
public static class RedisClock
{
    public static async Task<long> NowMsAsync(IDatabaseAsync database)
    {
        var time = (RedisResult[])(await database.ExecuteAsync("TIME"))!;
        return (long)time[0] * 1000 + (long)time[1] / 1000;
    }
}
