namespace FluxGate.Persister.Writing;

/// <summary>
/// Replays one batch's stock changes per product in Kafka order, in memory, starting from the rows locked in
/// the database: a batch may hold init → orders → init for one product, and only walking it in order gives the
/// right final stock. The writer then stores the final rows in one set-based upsert.
/// </summary>
/// <remarks>
/// An order that takes the stock below zero is kept and the stock goes negative: the row then shows the real
/// deficit (initial_stock − stock stays the net count of orders since the last init) and the order, which
/// Redis accepted and the customer was told about, is never discarded. Each such order is an
/// <see cref="Inconsistency"/>.
/// </remarks>
public sealed class StockLedger
{
    private readonly Dictionary<string, ProductStock> _products;
    private readonly HashSet<string> _touched = [];
    private readonly List<Inconsistency> _inconsistencies = [];

    public StockLedger(IEnumerable<ProductStock> current)
    {
        _products = current.ToDictionary(product => product.ProductId);
    }

    public IReadOnlyList<Inconsistency> Inconsistencies => _inconsistencies;

    /// <summary>The final state of every product this batch changed.</summary>
    public IEnumerable<ProductStock> Changed => _touched.Select(id => _products[id]);

    public void Initialize(string productId, int quantity, DateTimeOffset? initializedAt = null, DateTimeOffset? startsAt = null)
    {
        _products[productId] = new ProductStock(productId, quantity, quantity, initializedAt, startsAt);
        _touched.Add(productId);
    }

    /// <summary>A newly inserted order takes one unit.</summary>
    public void Take(string productId, Guid orderId)
    {
        if (!_products.TryGetValue(productId, out var product))
        {
            _inconsistencies.Add(new Inconsistency(InconsistencyKind.UnknownProduct, productId, orderId, null));
            return;
        }
        var taken = product with { Stock = checked(product.Stock - 1) };
        _products[productId] = taken;
        _touched.Add(productId);
        if (taken.Stock < 0)
        {
            _inconsistencies.Add(new Inconsistency(InconsistencyKind.NegativeStock, productId, orderId, taken.Stock));
        }
    }

    /// <summary>A cancelled order gives its unit back.</summary>
    public void Return(string productId, Guid orderId)
    {
        if (!_products.TryGetValue(productId, out var product))
        {
            _inconsistencies.Add(new Inconsistency(InconsistencyKind.UnknownProduct, productId, orderId, null));
            return;
        }
        // checked: a stock past int.MaxValue must fail the write (and dead-letter the event), not wrap around.
        _products[productId] = product with { Stock = checked(product.Stock + 1) };
        _touched.Add(productId);
    }
}

/// <param name="InitializedAt">When the product's last <c>StockInitialized</c> happened (unknown for rows older than the column).</param>
/// <param name="StartsAt">When its sale opens, for a scheduled drop.</param>
public sealed record ProductStock(string ProductId, int Stock, int InitialStock, DateTimeOffset? InitializedAt = null, DateTimeOffset? StartsAt = null);

public enum InconsistencyKind
{
    /// <summary>The order took the product's stock below zero: Redis and PostgreSQL disagree.</summary>
    NegativeStock,

    /// <summary>The order or cancel names a product PostgreSQL has never seen initialized.</summary>
    UnknownProduct,
}

/// <summary>The database's stock disagrees with an order Redis accepted. The order is kept; this is reported.</summary>
public sealed record Inconsistency(InconsistencyKind Kind, string ProductId, Guid OrderId, int? StockAfter);
