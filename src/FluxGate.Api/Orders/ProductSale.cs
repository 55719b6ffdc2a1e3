namespace FluxGate.Api.Orders;

/// <summary>A product's sale as Redis has it: the units left over its stock buckets (null: never initialized), and when it
/// opens (null: it opened with its <c>POST /init</c>).</summary>
public readonly record struct ProductSale(long? Stock, DateTimeOffset? StartsAt)
{
    /// <summary>The ledger field (bucket 0's, like every bucket's) that the order script checks the clock against.</summary>
    public const string StartsAtField = "startsAt";
}
