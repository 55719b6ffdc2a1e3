using System.Text;
using FluxGate.Persister.Decoding;
using FluxGate.Persister.Writing;

namespace FluxGate.Tests.Persister;

[Collection(PersisterDatabaseCollection.Name)]
public sealed class OrderBatchWriterTests(PersisterDatabaseFixture database)
{
    [Fact]
    public async Task Inserts_the_orders_and_takes_one_unit_each()
    {
        var dataSource = await database.CreateDatabaseAsync();
        var writer = new OrderBatchWriter(dataSource);
        var log = new OrderLog();
        var orders = Enumerable.Range(0, 250).Select(_ => Guid.NewGuid()).ToList();

        var outcome = writer.Write([log.Init("p1", 1000), .. orders.Select(id => log.Order("p1", id))]);

        Assert.Equal(251, outcome.Received);
        Assert.Equal(250, outcome.OrdersInserted);
        Assert.Equal(1, outcome.StockInitializations);
        Assert.Empty(outcome.Inconsistencies);
        Assert.Equal(250, await dataSource.OrderCountAsync("p1"));
        Assert.Equal((750, 1000), await dataSource.ProductAsync("p1"));

        var order = orders[7];
        Assert.Equal("accepted", await dataSource.OrderStatusAsync(order));
        Assert.Equal("user", await dataSource.ScalarAsync<string>("SELECT user_id FROM orders WHERE id = $1", order));
        Assert.Equal($"key-{order:N}", await dataSource.ScalarAsync<string>("SELECT idempotency_key FROM orders WHERE id = $1", order));
        Assert.Equal(OrderLog.Time, await dataSource.ScalarAsync<DateTime>("SELECT accepted_at FROM orders WHERE id = $1", order));
    }

    [Fact]
    public async Task A_replayed_batch_changes_nothing_even_with_a_stock_init_in_it()
    {
        var dataSource = await database.CreateDatabaseAsync();
        var writer = new OrderBatchWriter(dataSource);
        var log = new OrderLog();
        // A crash between the database commit and the Kafka commit makes the next owner read this again.
        List<OrderMessage> batch = [log.Init("p1", 10), log.Order("p1", Guid.NewGuid()), log.Order("p1", Guid.NewGuid())];

        writer.Write(batch);
        var replay = writer.Write(batch);

        Assert.Equal(3, replay.AlreadyApplied);
        Assert.Equal(0, replay.OrdersInserted);
        Assert.Equal(0, replay.StockInitializations);
        Assert.Equal(2, await dataSource.OrderCountAsync());
        Assert.Equal((8, 10), await dataSource.ProductAsync("p1"));
    }

    [Fact]
    public async Task A_replay_that_overlaps_new_messages_applies_only_the_new_ones()
    {
        var dataSource = await database.CreateDatabaseAsync();
        var writer = new OrderBatchWriter(dataSource);
        var log = new OrderLog();
        List<OrderMessage> first = [log.Init("p1", 10), log.Order("p1", Guid.NewGuid())];
        List<OrderMessage> second = [log.Order("p1", Guid.NewGuid()), log.Init("p1", 5), log.Order("p1", Guid.NewGuid())];

        writer.Write(first);
        var outcome = writer.Write([.. first, .. second]);

        Assert.Equal(2, outcome.AlreadyApplied);
        Assert.Equal(2, outcome.OrdersInserted);
        Assert.Equal(3, await dataSource.OrderCountAsync());
        Assert.Equal((4, 5), await dataSource.ProductAsync("p1"));
    }

    [Fact]
    public async Task An_order_delivered_twice_at_different_offsets_is_stored_and_counted_once()
    {
        var dataSource = await database.CreateDatabaseAsync();
        var writer = new OrderBatchWriter(dataSource);
        var log = new OrderLog();
        var order = Guid.NewGuid();

        var first = writer.Write([log.Init("p1", 10), log.Order("p1", order), log.Order("p1", order)]);
        var later = writer.Write([log.Order("p1", order)]);

        Assert.Equal((1, 1), (first.OrdersInserted, first.DuplicateOrders));
        Assert.Equal((0, 1), (later.OrdersInserted, later.DuplicateOrders));
        Assert.Equal(1, await dataSource.OrderCountAsync());
        Assert.Equal((9, 10), await dataSource.ProductAsync("p1"));
    }

    [Fact]
    public async Task Inits_and_orders_of_one_product_apply_in_their_kafka_order_within_a_batch()
    {
        var dataSource = await database.CreateDatabaseAsync();
        var writer = new OrderBatchWriter(dataSource);
        var log = new OrderLog();

        writer.Write(
        [
            log.Init("a", 10),
            log.Order("a", Guid.NewGuid()),
            log.Init("b", 3),
            log.Order("a", Guid.NewGuid()),
            log.Order("b", Guid.NewGuid()),
            log.Init("a", 100), // a re-init resets what the first two orders took ...
            log.Order("a", Guid.NewGuid()), // ... and only the orders after it count against the new stock
            log.Order("b", Guid.NewGuid()),
            log.Init("c", 0),
            log.Init("c", 7),
        ]);

        Assert.Equal((99, 100), await dataSource.ProductAsync("a"));
        Assert.Equal((1, 3), await dataSource.ProductAsync("b"));
        Assert.Equal((7, 7), await dataSource.ProductAsync("c"));
        Assert.Equal(3, await dataSource.OrderCountAsync("a"));
        Assert.Equal(2, await dataSource.OrderCountAsync("b"));
    }

    [Fact]
    public async Task A_batch_continues_from_the_stock_the_previous_batch_left()
    {
        var dataSource = await database.CreateDatabaseAsync();
        var writer = new OrderBatchWriter(dataSource);
        var log = new OrderLog();

        writer.Write([log.Init("p1", 5), log.Order("p1", Guid.NewGuid())]);
        writer.Write([log.Order("p1", Guid.NewGuid()), log.Order("p1", Guid.NewGuid())]);

        Assert.Equal((2, 5), await dataSource.ProductAsync("p1"));
    }

    [Fact]
    public async Task Orders_beyond_the_stock_are_kept_and_counted_as_inconsistencies()
    {
        var dataSource = await database.CreateDatabaseAsync();
        var writer = new OrderBatchWriter(dataSource);
        var log = new OrderLog();
        var orders = Enumerable.Range(0, 4).Select(_ => Guid.NewGuid()).ToList();

        var outcome = writer.Write([log.Init("p1", 2), .. orders.Select(id => log.Order("p1", id))]);

        Assert.Equal(4, outcome.OrdersInserted);
        Assert.Equal(4, await dataSource.OrderCountAsync("p1"));
        Assert.Equal((-2, 2), await dataSource.ProductAsync("p1"));
        Assert.Equal(
            [
                new Inconsistency(InconsistencyKind.NegativeStock, "p1", orders[2], -1),
                new Inconsistency(InconsistencyKind.NegativeStock, "p1", orders[3], -2),
            ],
            outcome.Inconsistencies);
    }

    [Fact]
    public async Task An_order_for_a_product_never_initialized_is_kept_and_counted()
    {
        var dataSource = await database.CreateDatabaseAsync();
        var writer = new OrderBatchWriter(dataSource);
        var order = Guid.NewGuid();

        var outcome = writer.Write([new OrderLog().Order("ghost", order)]);

        Assert.Equal([new Inconsistency(InconsistencyKind.UnknownProduct, "ghost", order, null)], outcome.Inconsistencies);
        Assert.Equal(1, await dataSource.OrderCountAsync("ghost"));
        Assert.Null(await dataSource.ProductAsync("ghost"));
    }

    [Fact]
    public async Task Poison_messages_are_dead_lettered_once_and_the_good_ones_around_them_persist()
    {
        var dataSource = await database.CreateDatabaseAsync();
        var writer = new OrderBatchWriter(dataSource);
        var log = new OrderLog(partition: 3);
        var before = Guid.NewGuid();
        var after = Guid.NewGuid();
        var garbage = Encoding.UTF8.GetBytes("{not json");
        List<OrderMessage> batch =
        [
            log.Init("p1", 10),
            log.Order("p1", before),
            log.Raw(Encoding.UTF8.GetBytes("p1"), garbage),
            log.Raw(Encoding.UTF8.GetBytes("p1"), """{"type":"OrderShipped","productId":"p1"}"""u8.ToArray()),
            log.Raw(Encoding.UTF8.GetBytes("p1"), """{"type":"OrderAccepted","productId":"p1","orderId":"00000000-0000-0000-0000-000000000000","userId":"u","acceptedAt":"2026-01-01T00:00:00Z"}"""u8.ToArray()),
            log.Order("p1", after),
        ];

        var outcome = writer.Write(batch);
        writer.Write(batch); // a replay must not dead-letter them again

        Assert.Equal(3, outcome.DeadLetters.Count);
        Assert.Equal(3, await dataSource.DeadLetterCountAsync());
        Assert.Equal(2, await dataSource.OrderCountAsync());
        Assert.Equal((8, 10), await dataSource.ProductAsync("p1"));
        Assert.Equal(garbage, await dataSource.ScalarAsync<byte[]>("""SELECT payload FROM dead_letters WHERE "offset" = 2"""));
        Assert.Equal("p1"u8.ToArray(), await dataSource.ScalarAsync<byte[]>("""SELECT key FROM dead_letters WHERE "offset" = 2"""));
        Assert.Equal(3, await dataSource.ScalarAsync<int>("""SELECT "partition" FROM dead_letters WHERE "offset" = 2"""));
        Assert.Contains("Not an order event", await dataSource.ScalarAsync<string>("""SELECT error FROM dead_letters WHERE "offset" = 2"""));
        Assert.Contains("orderId", await dataSource.ScalarAsync<string>("""SELECT error FROM dead_letters WHERE "offset" = 4"""));
    }

    [Fact]
    public async Task A_cancel_marks_the_order_cancelled_and_gives_the_unit_back_once()
    {
        var dataSource = await database.CreateDatabaseAsync();
        var writer = new OrderBatchWriter(dataSource);
        var log = new OrderLog();
        var kept = Guid.NewGuid();
        var cancelledInBatch = Guid.NewGuid();
        var cancelledLater = Guid.NewGuid();

        var first = writer.Write(
        [
            log.Init("p1", 10),
            log.Order("p1", kept),
            log.Order("p1", cancelledInBatch),
            log.Order("p1", cancelledLater),
            log.Cancel("p1", cancelledInBatch), // follows its order inside the same batch
            log.Cancel("p1", cancelledInBatch), // a repeated cancel gives nothing back
        ]);
        var second = writer.Write([log.Cancel("p1", cancelledLater), log.Cancel("p1", cancelledLater)]);

        Assert.Equal((1, 1), (first.OrdersCancelled, first.RepeatedCancels));
        Assert.Equal((1, 1), (second.OrdersCancelled, second.RepeatedCancels));
        Assert.Equal("accepted", await dataSource.OrderStatusAsync(kept));
        Assert.Equal("cancelled", await dataSource.OrderStatusAsync(cancelledInBatch));
        Assert.Equal("cancelled", await dataSource.OrderStatusAsync(cancelledLater));
        Assert.Equal((9, 10), await dataSource.ProductAsync("p1"));
        Assert.Equal(3, await dataSource.OrderCountAsync());
    }

    [Fact]
    public async Task A_cancel_of_an_unknown_order_or_of_another_products_order_is_dead_lettered()
    {
        var dataSource = await database.CreateDatabaseAsync();
        var writer = new OrderBatchWriter(dataSource);
        var log = new OrderLog();
        var order = Guid.NewGuid();

        var outcome = writer.Write(
        [
            log.Init("p1", 10),
            log.Init("p2", 10),
            log.Order("p1", order),
            log.Cancel("p1", Guid.NewGuid()),
            log.Cancel("p2", order),
        ]);

        Assert.Equal(2, outcome.DeadLetters.Count);
        Assert.Contains("not in the orders table", outcome.DeadLetters[0].Error);
        Assert.Contains("the order is for 'p1'", outcome.DeadLetters[1].Error);
        Assert.Equal("accepted", await dataSource.OrderStatusAsync(order));
        Assert.Equal((9, 10), await dataSource.ProductAsync("p1"));
        Assert.Equal((10, 10), await dataSource.ProductAsync("p2"));
    }

    [Fact]
    public async Task A_message_the_database_refuses_is_found_alone_and_dead_lettered_while_the_rest_persists()
    {
        var dataSource = await database.CreateDatabaseAsync();
        var writer = new OrderBatchWriter(dataSource);
        var log = new OrderLog();
        var early = Guid.NewGuid();
        var late = Guid.NewGuid();

        // The cancel would lift the stock past int.MaxValue: the whole batch fails, then only that message does.
        var outcome = writer.Write(
        [
            log.Init("p1", 5),
            log.Order("p1", early),
            log.Init("p1", int.MaxValue),
            log.Cancel("p1", early),
            log.Order("p1", late),
        ]);

        Assert.True(outcome.RefusedTogether);
        Assert.Equal(5, outcome.Received);
        var deadLetter = Assert.Single(outcome.DeadLetters);
        Assert.Equal(3, deadLetter.Source.Offset.Value);
        Assert.Equal(1, await dataSource.DeadLetterCountAsync());
        Assert.Equal(2, await dataSource.OrderCountAsync());
        Assert.Equal("accepted", await dataSource.OrderStatusAsync(early));
        Assert.Equal((int.MaxValue - 1, int.MaxValue), await dataSource.ProductAsync("p1"));
    }

    [Fact]
    public async Task Two_writers_racing_on_the_same_messages_apply_them_once()
    {
        var dataSource = await database.CreateDatabaseAsync();
        var log = new OrderLog();
        // During a rebalance the old and the new owner of a partition may briefly write the same messages.
        List<OrderMessage> batch = [log.Init("p1", 1000), .. Enumerable.Range(0, 500).Select(_ => log.Order("p1", Guid.NewGuid()))];

        var outcomes = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(() => new OrderBatchWriter(dataSource).Write(batch))));

        Assert.Equal(500, outcomes.Sum(outcome => outcome.OrdersInserted));
        Assert.Equal(1, outcomes.Sum(outcome => outcome.StockInitializations));
        Assert.Equal(500, await dataSource.OrderCountAsync());
        Assert.Equal((500, 1000), await dataSource.ProductAsync("p1"));
    }

    [Fact]
    public async Task Partitions_keep_separate_applied_offsets()
    {
        var dataSource = await database.CreateDatabaseAsync();
        var writer = new OrderBatchWriter(dataSource);
        var zero = new OrderLog(partition: 0);
        var one = new OrderLog(partition: 1);

        writer.Write([zero.Init("a", 10), zero.Order("a", Guid.NewGuid())]);
        var outcome = writer.Write([one.Init("b", 10), one.Order("b", Guid.NewGuid())]);

        Assert.Equal(0, outcome.AlreadyApplied);
        Assert.Equal((9, 10), await dataSource.ProductAsync("b"));
        Assert.Equal(2L, await dataSource.ScalarAsync<long>("""SELECT next_offset FROM applied_offsets WHERE "partition" = 1"""));
    }

    [Fact]
    public async Task Offsets_recorded_beyond_a_recreated_topics_end_are_forgotten()
    {
        var dataSource = await database.CreateDatabaseAsync();
        var writer = new OrderBatchWriter(dataSource);
        var old = new OrderLog(partition: 0);
        writer.Write([old.Init("a", 10), old.Order("a", Guid.NewGuid()), old.Order("a", Guid.NewGuid())]);

        var untouched = writer.ForgetOffsetsBeyond([("orders", 0, 3)]);
        var forgotten = writer.ForgetOffsetsBeyond([("orders", 0, 1)]);
        // The new topic's first messages, at offsets the old one had used, are applied.
        var fresh = new OrderLog(partition: 0);
        var outcome = writer.Write([fresh.Init("a", 50)]);

        Assert.Empty(untouched);
        Assert.Equal([("orders", 0, 3L)], forgotten);
        Assert.Equal(1, outcome.StockInitializations);
        Assert.Equal((50, 50), await dataSource.ProductAsync("a"));
    }
}
