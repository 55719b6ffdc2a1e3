using System.Diagnostics;
using System.Text;
using Confluent.Kafka;
using FluxGate.AppHost;
using FluxGate.Contracts;
using FluxGate.Persister.Decoding;
using FluxGate.Persister.Schema;
using FluxGate.Persister.Writing;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

/// <summary>
/// The batch writer alone against a fresh PostgreSQL (the AppHost's, nothing else of its graph): what the database side of
/// the persister can take.
/// </summary>
internal static class WriterOnly
{
    public static async Task<(double RowsPerSecond, double MsPerBatch)> RunAsync(int count, int productCount, int batchSize)
    {
        await using var graph = await DrainGraph.StartAsync(
            without: [ResourceNames.Redis, ResourceNames.Kafka, ResourceNames.Api, ResourceNames.Persister, ResourceNames.WaitingRoom],
            ready: [ResourceNames.Database],
            configuration: new Dictionary<string, string>(),
            onLog: (_, _, _) => { });
        await using var dataSource = NpgsqlDataSource.Create(await graph.GetConnectionStringAsync(ResourceNames.Database));
        await new SchemaMigrator(dataSource, NullLogger<SchemaMigrator>.Instance).MigrateAsync(CancellationToken.None);
        var writer = new OrderBatchWriter(dataSource);

        var products = Enumerable.Range(0, productCount).Select(i => $"drain-{i:D4}").ToArray();
        var offset = 0L;
        OrderMessage Message(OrderEvent orderEvent) => OrderMessageDecoder.Decode(
            new TopicPartitionOffset(Topics.Orders, 0, offset++), Encoding.UTF8.GetBytes(orderEvent.ProductId), OrderEventSerializer.Serialize(orderEvent));

        var now = DateTimeOffset.UtcNow;
        writer.Write(products.Select(product => Message(new StockInitialized(product, count, now))).ToList());
        var batches = Enumerable.Range(0, count).Chunk(batchSize)
            .Select(chunk => chunk.Select(i => Message(new OrderAccepted(Guid.NewGuid(), products[i % productCount], $"user-{i}", $"key-{i}", now))).ToList())
            .ToList();

        // Warm-up (JIT, plans, caches) on another partition and product, not measured.
        var warmUpOffset = 0L;
        writer.Write(Enumerable.Range(0, batchSize)
            .Select(i => new OrderAccepted(Guid.NewGuid(), "warm-up", $"user-{i}", $"key-{i}", now))
            .Select(order => OrderMessageDecoder.Decode(new TopicPartitionOffset(Topics.Orders, 1, warmUpOffset++), "warm-up"u8.ToArray(), OrderEventSerializer.Serialize(order)))
            .ToList());

        var watch = Stopwatch.StartNew();
        var inserted = batches.Sum(batch => writer.Write(batch).OrdersInserted);
        watch.Stop();
        if (inserted != count)
        {
            throw new InvalidOperationException($"{inserted} of {count} orders inserted.");
        }
        return (count / watch.Elapsed.TotalSeconds, watch.Elapsed.TotalMilliseconds / batches.Count);
    }
}
