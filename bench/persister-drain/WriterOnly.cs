using System.Diagnostics;
using System.Runtime;
using System.Text;
using Confluent.Kafka;
using FluxGate.AppHost;
using FluxGate.Contracts;
using FluxGate.Persister.Decoding;
using FluxGate.Persister.Writing;
using FluxGate.Storage.Schema;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

/// <summary>
/// The batch writer alone against a fresh PostgreSQL (the AppHost's, nothing else of its graph): what the database side of
/// the persister can take.
/// </summary>
internal static class WriterOnly
{
    /// <returns>Throughput, and µs of CPU per order: <c>Bench</c> is the writer (this process), <c>Persister</c> is not measured.</returns>
    public static async Task<(double RowsPerSecond, double MsPerBatch, CpuPerOrder? Cpu)> RunAsync(int count, int productCount, int batchSize)
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

        // Warm-up on another partition, not measured, until the runtime has stopped compiling: it recompiles a method
        // twice (instrumented, then optimized) on a background thread once it has been called often enough, and with a
        // fixed warm-up of one pass that compiling still fell into the measured run and doubled the writer's CPU per order.
        var warmUpOffset = 0L;
        var warmUp = Stopwatch.StartNew();
        for (var (round, quietRounds) = (0, 0); quietRounds < 10 && warmUp.Elapsed < TimeSpan.FromSeconds(60); round++)
        {
            var compiled = JitInfo.GetCompiledMethodCount();
            writer.Write(Enumerable.Range(0, batchSize)
                .Select(i => new OrderAccepted(Guid.NewGuid(), products[i % productCount], $"user-{i}", $"key-{i}", now))
                .Select(order => OrderMessageDecoder.Decode(
                    new TopicPartitionOffset(Topics.Orders, 1, warmUpOffset++), Encoding.UTF8.GetBytes(order.ProductId), OrderEventSerializer.Serialize(order)))
                .ToList());
            quietRounds = JitInfo.GetCompiledMethodCount() == compiled && round >= 60 ? quietRounds + 1 : 0;
        }
        Console.Error.WriteLine($"   warm-up: {warmUpOffset:N0} orders in {warmUp.Elapsed.TotalSeconds:0.0} s");
        // How long the warm-up ran varies; the measured run starts from an empty orders table every time.
        await using (var truncate = dataSource.CreateCommand("TRUNCATE orders"))
        {
            await truncate.ExecuteNonQueryAsync();
        }

        var cpuBefore = GraphCpu.IsAvailable ? GraphCpu.Snapshot() : null;
        var watch = Stopwatch.StartNew();
        var inserted = batches.Sum(batch => writer.Write(batch).OrdersInserted);
        watch.Stop();
        var cpu = cpuBefore is null ? null : GraphCpu.Snapshot().PerOrderSince(cpuBefore, count);
        if (inserted != count)
        {
            throw new InvalidOperationException($"{inserted} of {count} orders inserted.");
        }
        return (count / watch.Elapsed.TotalSeconds, watch.Elapsed.TotalMilliseconds / batches.Count, cpu);
    }
}
