using System.Text.Json.Serialization;
using FluxGate.Api.Http;
using FluxGate.Clients;
using FluxGate.Contracts;

namespace FluxGate.Api.Inventory;

/// <summary>
/// The body of <c>POST /init</c>: <c>{"productId","quantity"}</c>, optionally <c>"maxPerCustomer"</c>,
/// <c>"stockBuckets"</c> and <c>"startsAt"</c>.
/// </summary>
/// <param name="MaxPerCustomer">Units one customer may hold (reserved or accepted, not cancelled); null: no limit.</param>
/// <param name="StockBuckets">How many stock buckets the stock is split over (<see cref="Redis.StockBuckets"/>): more
/// than one lets several Redis Cluster shards decide one hot product's orders. Null or 1: the product's own keys.</param>
/// <param name="StartsAt">When the sale opens, on Redis's clock: before it orders go to the waiting room's pre-queue. Null
/// or past: at once.</param>
public sealed record InitRequest(
    [property: JsonConverter(typeof(JsonTextConverter))] string? ProductId,
    [property: JsonConverter(typeof(InitRequest.QuantityRule))] int? Quantity,
    [property: JsonConverter(typeof(InitRequest.MaxPerCustomerRule))] int? MaxPerCustomer = null,
    [property: JsonConverter(typeof(InitRequest.StockBucketsRule))] int? StockBuckets = null,
    [property: JsonConverter(typeof(InitRequest.StartsAtRule))] DateTimeOffset? StartsAt = null) : IRequestBody
{
    /// <summary>A customer's orders spread over the buckets by their keys, and no one bucket sees them all.</summary>
    private const string LimitNeedsOneBucket = "maxPerCustomer needs stockBuckets 1: one customer's orders spread over the buckets, and no bucket could count them all";

    public string? Problem() =>
        InputRules.CheckProductId(ProductId)
        ?? (Quantity is null ? "quantity is required" : null)
        ?? (MaxPerCustomer is not null && StockBuckets > 1 ? LimitNeedsOneBucket : null);

    internal sealed class QuantityRule() : JsonIntegerConverter(0, int.MaxValue, "quantity must be a non-negative integer (at most 2147483647)");

    internal sealed class MaxPerCustomerRule() : JsonIntegerConverter(1, int.MaxValue,
        "maxPerCustomer must be a positive integer (at most 2147483647); leave it out for no limit");

    internal sealed class StockBucketsRule() : JsonIntegerConverter(1, Redis.StockBuckets.Max,
        $"stockBuckets must be an integer from 1 to {Redis.StockBuckets.Max}; leave it out for 1");

    internal sealed class StartsAtRule() : JsonUtcTimeConverter(
        "startsAt must be an RFC 3339 time in UTC, such as 2026-12-24T10:00:00Z; leave it out to open the sale at once");
}
