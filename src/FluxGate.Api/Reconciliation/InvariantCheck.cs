using FluxGate.Api.Orders;
using FluxGate.Api.Redis;
using FluxGate.Contracts;
using FluxGate.Storage;
using StackExchange.Redis;

namespace FluxGate.Api.Reconciliation;

/// <summary>
/// One product's books, side by side. Since the product's last init:
/// <list type="bullet">
/// <item><c>accepted</c> − <c>cancelled</c>: orders the api accepted (answered, or resolved by the reconciler), net of
/// cancels (Redis ledger, counted by the same scripts that decide);</item>
/// <item><c>persisted</c>: order rows in PostgreSQL that are not cancelled;</item>
/// <item><c>stockTaken</c>: initial − current stock in Redis (reservations in flight included);</item>
/// <item><c>postgresStockTaken</c>: initial_stock − stock in PostgreSQL (the persister's ledger).</item>
/// </list>
/// It holds when all four agree with nothing in between: no reservation in flight, no acknowledged event PostgreSQL
/// lacks (<c>unpersisted</c>), no unit moving between stock buckets (<c>inTransit</c>), and a persister caught up with Kafka.
/// A product split over stock buckets is counted over all of them (<c>stockBuckets</c>): Redis's figures are sums.
/// </summary>
public sealed record InvariantReport(
    string ProductId,
    bool Holds,
    bool Settled,
    long? Accepted,
    long? Cancelled,
    long? Persisted,
    long? PersistedCancelled,
    long? StockTaken,
    long? PostgresStockTaken,
    long? InitialStock,
    long? Stock,
    long? PostgresInitialStock,
    long? PostgresStock,
    long InFlight,
    long Unpersisted,
    long? KafkaBehind,
    IReadOnlyList<string> Problems,
    int StockBuckets = 1,
    long InTransit = 0);

/// <summary>Builds the <see cref="InvariantReport"/> of a product from Redis, PostgreSQL and Kafka.</summary>
public sealed class InvariantCheck(IConnectionMultiplexer redis, StockBucketMap bucketMap, OrderStore store, PersisterProgress progress)
{
    private static readonly string[] LedgerCounts = ["initial", "accepted", "cancelled", "given", "received"];
    private readonly IDatabase _redis = redis.GetDatabase();

    /// <returns>Null when neither Redis nor PostgreSQL knows the product.</returns>
    public async Task<InvariantReport?> CheckAsync(string productId, CancellationToken cancellationToken)
    {
        var buckets = await bucketMap.ReadAsync(productId);
        var books = await Task.WhenAll(buckets.Select(ReadBucketAsync));
        var stock = books[0].Stock is null ? (long?)null : books.Sum(book => book.Stock ?? 0);
        // Bucket 0's ledger decides what exists (initializedAt, whether counts are kept); the counts are sums.
        var ledger = books[0].Ledger;
        foreach (var count in LedgerCounts.Where(ledger.ContainsKey))
        {
            ledger[count] = books.Sum(book => book.Ledger.GetValueOrDefault(count));
        }
        var (inFlight, unpersisted) = await CountRecordsAsync(productId, buckets);
        var inTransit = ledger.GetValueOrDefault("given") - ledger.GetValueOrDefault("received");

        var product = await store.ProductAsync(productId, cancellationToken);
        if (stock is null && product is null)
        {
            return null;
        }
        DateTimeOffset? since = ledger.GetValueOrDefault("initializedAt") is > 0 and var ms
            ? DateTimeOffset.FromUnixTimeMilliseconds(ms)
            : product?.InitializedAt;
        var (all, persistedCancelled) = await store.CountOrdersAsync(productId, since, cancellationToken);

        long? kafkaBehind;
        try
        {
            var ends = await progress.ReadEndsAsync(cancellationToken);
            kafkaBehind = PersisterProgress.Behind(await progress.ReadAppliedAsync(cancellationToken), ends);
        }
        catch (Confluent.Kafka.KafkaException)
        {
            kafkaBehind = null;
        }

        long? initial = ledger.TryGetValue("initial", out var initialValue) ? initialValue : null;
        long? accepted = ledger.TryGetValue("accepted", out var acceptedValue) ? acceptedValue : null;
        long? cancelled = ledger.TryGetValue("cancelled", out var cancelledValue) ? cancelledValue : null;
        var persistedOrders = all - persistedCancelled;
        long? stockTaken = initial - stock - inTransit; // units moving between buckets are stock still
        long? postgresTaken = product is null ? null : product.InitialStock - product.Stock;

        var problems = new List<string>();
        if (stock is null)
        {
            problems.Add("Redis has no stock for this product: restore it from PostgreSQL with POST /admin/restore/{productId}.");
        }
        else if (initial is null || accepted is null)
        {
            problems.Add("Redis keeps no ledger for this product (initialized before the ledger existed): initialize it again to count.");
        }
        if (product is null)
        {
            problems.Add("PostgreSQL has no row for this product (its StockInitialized is not persisted yet).");
        }
        if (inFlight > 0)
        {
            problems.Add($"{inFlight} reservation(s) are waiting for Kafka's answer or for the reconciler.");
        }
        if (inTransit != 0)
        {
            problems.Add($"{inTransit} unit(s) are moving between the product's stock buckets (the reconciler completes a move an api left unfinished).");
        }
        if (unpersisted > 0)
        {
            problems.Add($"{unpersisted} acknowledged event(s) are not yet confirmed in PostgreSQL.");
        }
        if (kafkaBehind is null)
        {
            problems.Add("Kafka did not answer: whether the persister has caught up is unknown.");
        }
        else if (kafkaBehind > 0)
        {
            problems.Add($"The persister is {kafkaBehind} event(s) behind Kafka.");
        }
        if (accepted is not null && accepted - cancelled != persistedOrders)
        {
            problems.Add($"The api accepted {accepted - cancelled} order(s) net of cancels; PostgreSQL holds {persistedOrders}.");
        }
        if (stockTaken is not null && stockTaken != persistedOrders)
        {
            problems.Add($"Redis's stock shows {stockTaken} unit(s) taken; PostgreSQL holds {persistedOrders} order(s).");
        }
        if (postgresTaken is not null && postgresTaken != persistedOrders)
        {
            problems.Add($"PostgreSQL's stock shows {postgresTaken} unit(s) taken; its orders table holds {persistedOrders}.");
        }
        // Counted by the confirm of an order whose reservation Redis had lost (a failover) when it could not be healed.
        var oversold = books.Sum(book => book.Ledger.GetValueOrDefault("oversold"));
        var keysReused = books.Sum(book => book.Ledger.GetValueOrDefault("keysReused"));
        if (oversold > 0)
        {
            problems.Add($"{oversold} unit(s) were sold twice: Redis lost their reservations (a failover) and sold them again before the confirm.");
        }
        if (keysReused > 0)
        {
            problems.Add($"{keysReused} idempotency key(s) have two orders: Redis lost the first (a failover) before its confirm.");
        }
        if (initial is not null && product is not null && initial != product.InitialStock)
        {
            problems.Add($"Initial stock differs: Redis {initial}, PostgreSQL {product.InitialStock}.");
        }

        return new InvariantReport(
            productId,
            Holds: problems.Count == 0,
            Settled: inFlight == 0 && unpersisted == 0 && inTransit == 0 && kafkaBehind == 0,
            accepted, cancelled, persistedOrders, persistedCancelled, stockTaken, postgresTaken,
            initial, stock, product?.InitialStock, product?.Stock, inFlight, unpersisted, kafkaBehind, problems,
            buckets.Length, inTransit);
    }

    private async Task<BucketBooks> ReadBucketAsync(string bucket)
    {
        var stock = _redis.StringGetAsync(RedisKeys.Stock(bucket));
        var ledger = _redis.HashGetAllAsync(RedisKeys.Ledger(bucket));
        return new BucketBooks((long?)await stock, (await ledger).ToDictionary(entry => (string)entry.Name!, entry => (long)entry.Value));
    }

    /// <summary>The product's records in the records hashes of its buckets' slots: reservations, and events PostgreSQL may lack.</summary>
    private async Task<(long InFlight, long Unpersisted)> CountRecordsAsync(string productId, string[] buckets)
    {
        long inFlight = 0, unpersisted = 0;
        foreach (var slot in buckets.Select(RedisHashSlot.Of).Distinct())
        {
            await foreach (var entry in _redis.HashScanAsync(OrderRecords.Key(slot), pageSize: 1000))
            {
                switch (OrderRecords.Parse(entry))
                {
                    case InFlightReservation reservation when StockBuckets.ProductOf(reservation.Bucket) == productId:
                        inFlight++;
                        break;
                    case AcknowledgedEvent acknowledged when acknowledged.ProductId == productId:
                        unpersisted++;
                        break;
                }
            }
        }
        return (inFlight, unpersisted);
    }

    private sealed record BucketBooks(long? Stock, Dictionary<string, long> Ledger);
}
