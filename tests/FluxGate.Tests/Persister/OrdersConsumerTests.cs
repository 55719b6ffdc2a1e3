using Confluent.Kafka;
using FluxGate.Contracts;
using FluxGate.AppHost.Local;
using FluxGate.Persister.Consuming;
using FluxGate.Tests.Infrastructure;
using Npgsql;
using Xunit.Abstractions;

namespace FluxGate.Tests.Persister;

/// <summary>The consumer against the real librdkafka mock broker and a real PostgreSQL, several members where it matters.</summary>
[Collection(PersisterDatabaseCollection.Name)]
public sealed class OrdersConsumerTests(PersisterDatabaseFixture database, ITestOutputHelper output)
{
    private static readonly string[] Products = ["p0", "p1", "p2", "p3", "p4", "p5", "p6", "p7"];
    private const int InitialStock = 100_000;

    [Fact]
    public async Task Persists_what_is_produced_then_commits_the_offsets_and_reports_no_lag()
    {
        await using var kafka = KafkaMockCluster.Start();
        var dataSource = await database.CreateEmptyDatabaseAsync(); // the persister migrates it at start
        using var producer = new OrderProducer(kafka.BootstrapServers);
        await using var persister = await InProcessPersister.StartAsync(kafka.BootstrapServers, dataSource.ConnectionString, output, "persister");

        var orders = await ProduceOrdersAsync(producer, perProduct: 150);

        await AssertAllLandedAsync(dataSource, orders);
        var committed = await Eventually.UntilAsync(
            () => Task.FromResult(CommittedOffsets(kafka.BootstrapServers, "fluxgate-persister")),
            total => total == Products.Length + orders.Values.Sum(),
            "the group's committed offsets cover every produced message");
        Assert.Equal(Products.Length + orders.Values.Sum(), committed);
        await Eventually.UntilAsync(() => Task.FromResult(persister.Metrics.ConsumerLag), lag => lag == 0, "the lag gauge reads 0");
    }

    [Fact]
    public async Task A_poison_message_is_dead_lettered_and_the_orders_after_it_persist()
    {
        await using var kafka = KafkaMockCluster.Start();
        var dataSource = await database.CreateEmptyDatabaseAsync();
        using var producer = new OrderProducer(kafka.BootstrapServers);
        await using var persister = await InProcessPersister.StartAsync(kafka.BootstrapServers, dataSource.ConnectionString, output, "persister");

        await producer.ProduceAsync(OrderProducer.Init("p1", 10));
        var poison = await producer.ProduceRawAsync("p1"u8.ToArray(), "{\"type\":\"OrderAccepted\",\"productId\":"u8.ToArray());
        var after = Enumerable.Range(0, 5).Select(_ => OrderProducer.Order("p1")).ToList();
        await producer.ProduceAllAsync(after);

        await Eventually.UntilAsync(() => dataSource.OrderCountAsync("p1"), count => count == 5, "the orders after the poison persist");
        Assert.Equal(1, await dataSource.DeadLetterCountAsync());
        Assert.Equal(poison.Offset.Value, await dataSource.ScalarAsync<long>("""SELECT "offset" FROM dead_letters"""));
        Assert.Equal(poison.Partition.Value, await dataSource.ScalarAsync<int>("""SELECT "partition" FROM dead_letters"""));
        Assert.Equal((5, 10), await dataSource.ProductAsync("p1"));
    }

    [Fact]
    public async Task PostgreSQL_stopped_under_load_loses_nothing_and_duplicates_nothing()
    {
        await using var kafka = KafkaMockCluster.Start();
        await using var postgres = await LocalServerApp.StartPostgresAsync();
        await using var dataSource = NpgsqlDataSource.Create(postgres.ConnectionString);
        using var producer = new OrderProducer(kafka.BootstrapServers);
        await using var persister = await InProcessPersister.StartAsync(kafka.BootstrapServers, postgres.ConnectionString, output, "persister");

        var orders = await ProduceOrdersAsync(producer, perProduct: 50);
        await Eventually.UntilAsync(() => dataSource.OrderCountAsync(), count => count == orders.Values.Sum(), "the first orders land");

        await postgres.StopAsync();
        var whileDown = await ProduceOrdersAsync(producer, perProduct: 100, initialize: false);
        await Eventually.UntilAsync(() => Task.FromResult(persister.State.Phase), phase => phase == ConsumerPhase.RetryingWrite,
            "the persister retries its batch while PostgreSQL is down");
        await Eventually.UntilAsync(() => Task.FromResult(persister.Metrics.ConsumerLag), lag => lag > 0, "the lag gauge shows the backlog");
        await postgres.StartAsync();

        foreach (var (product, count) in whileDown)
        {
            orders[product] += count;
        }
        await AssertAllLandedAsync(dataSource, orders);
        await Eventually.UntilAsync(() => Task.FromResult(persister.State.Phase), phase => phase == ConsumerPhase.Consuming, "the persister consumes again");
    }

    [Fact]
    public async Task Members_joining_and_leaving_mid_flow_rebalance_without_loss_or_duplicates()
    {
        await using var kafka = KafkaMockCluster.Start();
        var dataSource = await database.CreateEmptyDatabaseAsync();
        using var producer = new OrderProducer(kafka.BootstrapServers);
        var first = await InProcessPersister.StartAsync(kafka.BootstrapServers, dataSource.ConnectionString, output, "first");
        var orders = await ProduceOrdersAsync(producer, perProduct: 10);
        var stream = OrderStream.Start(producer, Products); // orders keep coming through both rebalances

        await using var second = await InProcessPersister.StartAsync(kafka.BootstrapServers, dataSource.ConnectionString, output, "second");
        await Eventually.UntilAsync(() => Task.FromResult((first.State.AssignedPartitions, second.State.AssignedPartitions)),
            owned => owned is { Item1: > 0, Item2: > 0 } && owned.Item1 + owned.Item2 == 6, "the two members share the six partitions");
        var rowsWhenShared = await dataSource.OrderCountAsync();
        await Eventually.UntilAsync(() => dataSource.OrderCountAsync(), count => count > rowsWhenShared + 100, "both members persist new orders");

        await first.DisposeAsync(); // leaves the group: the second takes everything over
        await Eventually.UntilAsync(() => Task.FromResult(second.State.AssignedPartitions), owned => owned == 6, "the second member owns all partitions");
        var rowsWhenAlone = await dataSource.OrderCountAsync();
        await Eventually.UntilAsync(() => dataSource.OrderCountAsync(), count => count > rowsWhenAlone + 100, "the second member persists new orders");

        await AddAsync(orders, stream.StopAsync());
        await AssertAllLandedAsync(dataSource, orders);
    }

    [Fact]
    public async Task Kafka_unreachable_for_a_while_then_back_resumes_without_loss()
    {
        await using var kafka = KafkaMockCluster.Start();
        var dataSource = await database.CreateEmptyDatabaseAsync();
        using var producer = new OrderProducer(kafka.BootstrapServers);
        await using var persister = await InProcessPersister.StartAsync(kafka.BootstrapServers, dataSource.ConnectionString, output, "persister");
        var orders = await ProduceOrdersAsync(producer, perProduct: 20);
        await AssertAllLandedAsync(dataSource, orders);

        kafka.SetAllBrokersDown();
        var produceWhileDown = ProduceOrdersAsync(producer, perProduct: 20, initialize: false); // queued in the producer
        using (var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = kafka.BootstrapServers }).Build())
        {
            Assert.ThrowsAny<KafkaException>(() => admin.GetMetadata(TimeSpan.FromSeconds(2)));
        }
        kafka.SetAllBrokersUp();

        await AddAsync(orders, produceWhileDown);
        await AssertAllLandedAsync(dataSource, orders);
        Assert.NotEqual(ConsumerPhase.Faulted, persister.State.Phase);
    }

    /// <summary>Inits every product (unless told not to), then produces <paramref name="perProduct"/> orders for each.</summary>
    private static async Task<Dictionary<string, int>> ProduceOrdersAsync(OrderProducer producer, int perProduct, bool initialize = true)
    {
        if (initialize)
        {
            await producer.ProduceAllAsync(Products.Select(product => OrderProducer.Init(product, InitialStock)));
        }
        await producer.ProduceAllAsync(Enumerable.Range(0, perProduct).SelectMany(_ => Products.Select(OrderProducer.Order)));
        return Products.ToDictionary(product => product, _ => perProduct);
    }

    private static async Task AddAsync(Dictionary<string, int> orders, Task<Dictionary<string, int>> more)
    {
        foreach (var (product, count) in await more)
        {
            orders[product] += count;
        }
    }

    /// <summary>Every order is in the table once and took exactly one unit: no loss, no duplicate, no double decrement.</summary>
    private static async Task AssertAllLandedAsync(NpgsqlDataSource dataSource, Dictionary<string, int> orders)
    {
        var total = orders.Values.Sum();
        await Eventually.UntilAsync(() => dataSource.OrderCountAsync(), count => count == total, $"all {total} orders are in the orders table");
        foreach (var (product, count) in orders)
        {
            await Eventually.UntilAsync(() => dataSource.ProductAsync(product), row => row == (InitialStock - count, InitialStock),
                $"{product}'s stock is {InitialStock} - {count}");
        }
        Assert.Equal(0, await dataSource.DeadLetterCountAsync());
    }

    private static long CommittedOffsets(string bootstrapServers, string groupId)
    {
        using var consumer = new ConsumerBuilder<Ignore, Ignore>(new ConsumerConfig { BootstrapServers = bootstrapServers, GroupId = groupId }).Build();
        var partitions = Enumerable.Range(0, 6).Select(partition => new TopicPartition(Topics.Orders, partition));
        return consumer.Committed(partitions, TimeSpan.FromSeconds(10)).Sum(offset => Math.Max(0, offset.Offset.Value));
    }
}
