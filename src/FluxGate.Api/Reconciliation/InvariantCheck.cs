using FluxGate.Contracts;
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
/// lacks (<c>unpersisted</c>), and a persister caught up with Kafka.
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
    IReadOnlyList<string> Problems);

/// <summary>Builds the <see cref="InvariantReport"/> of a product from Redis, PostgreSQL and Kafka.</summary>
public sealed class InvariantCheck(IConnectionMultiplexer redis, PersistedOrders persisted, PersisterProgress progress)
{
    private readonly IDatabase _redis = redis.GetDatabase();

    /// <returns>Null when neither Redis nor PostgreSQL knows the product.</returns>
    public async Task<InvariantReport?> CheckAsync(string productId, CancellationToken cancellationToken)
    {
        var stock = (long?)await _redis.StringGetAsync(RedisKeys.Stock(productId));
        var ledger = (await _redis.HashGetAllAsync(RedisKeys.Ledger(productId))).ToDictionary(entry => (string)entry.Name!, entry => (long)entry.Value);
        var inFlight = await _redis.HashLengthAsync(RedisKeys.InFlight(productId));
        var unpersisted = await _redis.SortedSetLengthAsync(RedisKeys.Unpersisted(productId));

        var product = await persisted.ProductAsync(productId, cancellationToken);
        if (stock is null && product is null)
        {
            return null;
        }
        DateTimeOffset? since = ledger.GetValueOrDefault("initializedAt") is > 0 and var ms
            ? DateTimeOffset.FromUnixTimeMilliseconds(ms)
            : product?.InitializedAt;
        var (all, persistedCancelled) = await persisted.CountOrdersAsync(productId, since, cancellationToken);

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
        long? stockTaken = initial - stock;
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
        if (initial is not null && product is not null && initial != product.InitialStock)
        {
            problems.Add($"Initial stock differs: Redis {initial}, PostgreSQL {product.InitialStock}.");
        }

        return new InvariantReport(
            productId,
            Holds: problems.Count == 0,
            Settled: inFlight == 0 && unpersisted == 0 && kafkaBehind == 0,
            accepted, cancelled, persistedOrders, persistedCancelled, stockTaken, postgresTaken,
            initial, stock, product?.InitialStock, product?.Stock, inFlight, unpersisted, kafkaBehind, problems);
    }
}
