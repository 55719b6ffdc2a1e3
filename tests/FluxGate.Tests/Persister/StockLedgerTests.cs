using FluxGate.Persister.Writing;

namespace FluxGate.Tests.Persister;

public sealed class StockLedgerTests
{
    [Fact]
    public void Starts_from_the_stored_stock_and_reports_only_changed_products()
    {
        var ledger = new StockLedger([new ProductStock("a", 5, 10), new ProductStock("b", 1, 1)]);

        ledger.Take("a", Guid.NewGuid());
        ledger.Take("a", Guid.NewGuid());

        Assert.Equal([new ProductStock("a", 3, 10)], ledger.Changed);
        Assert.Empty(ledger.Inconsistencies);
    }

    [Fact]
    public void An_init_between_orders_resets_the_count()
    {
        var ledger = new StockLedger([]);

        ledger.Initialize("a", 10);
        ledger.Take("a", Guid.NewGuid());
        ledger.Initialize("a", 2);
        ledger.Take("a", Guid.NewGuid());
        ledger.Return("a", Guid.NewGuid());

        Assert.Equal([new ProductStock("a", 2, 2)], ledger.Changed);
    }

    [Fact]
    public void Going_below_zero_is_allowed_and_reported_per_order()
    {
        var ledger = new StockLedger([new ProductStock("a", 0, 3)]);
        var first = Guid.NewGuid();
        var second = Guid.NewGuid();

        ledger.Take("a", first);
        ledger.Take("a", second);
        ledger.Return("a", Guid.NewGuid());

        Assert.Equal([new ProductStock("a", -1, 3)], ledger.Changed);
        Assert.Equal(
            [new Inconsistency(InconsistencyKind.NegativeStock, "a", first, -1), new Inconsistency(InconsistencyKind.NegativeStock, "a", second, -2)],
            ledger.Inconsistencies);
    }

    [Fact]
    public void A_product_never_initialized_is_reported_and_not_invented()
    {
        var ledger = new StockLedger([]);
        var order = Guid.NewGuid();

        ledger.Take("ghost", order);

        Assert.Empty(ledger.Changed);
        Assert.Equal([new Inconsistency(InconsistencyKind.UnknownProduct, "ghost", order, null)], ledger.Inconsistencies);
    }

    [Fact]
    public void A_stock_past_the_integer_range_fails_instead_of_wrapping()
    {
        var ledger = new StockLedger([new ProductStock("a", int.MaxValue, int.MaxValue)]);

        Assert.Throws<OverflowException>(() => ledger.Return("a", Guid.NewGuid()));
    }
}
