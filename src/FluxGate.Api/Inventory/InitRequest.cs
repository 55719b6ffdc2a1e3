using System.Text.Json;
using FluxGate.Api.Http;
using FluxGate.Api.Redis;
using FluxGate.Contracts;

namespace FluxGate.Api.Inventory;

/// <summary>The body of <c>POST /init</c>: <c>{"productId","quantity"}</c>, optionally <c>"maxPerCustomer"</c> and <c>"stockBuckets"</c>.</summary>
/// <param name="MaxPerCustomer">Units one customer may hold (reserved or accepted, not cancelled); null: no limit.</param>
/// <param name="StockBuckets">How many stock buckets the stock is split over (<see cref="Contracts.StockBuckets"/>): more
/// than one lets several Redis Cluster shards decide one hot product's orders. 1, the default, is the product's own keys.</param>
public sealed record InitRequest(string ProductId, int Quantity, int? MaxPerCustomer = null, int StockBuckets = 1)
{
    private const string QuantityRule = "quantity must be a non-negative integer (at most 2147483647)";
    private const string MaxPerCustomerRule = "maxPerCustomer must be a positive integer (at most 2147483647); leave it out for no limit";
    private static readonly string StockBucketsRule = $"stockBuckets must be an integer from 1 to {Redis.StockBuckets.Max}; leave it out for 1";

    /// <summary>A customer's orders spread over the buckets by their keys, and no one bucket sees them all.</summary>
    private const string LimitNeedsOneBucket = "maxPerCustomer needs stockBuckets 1: one customer's orders spread over the buckets, and no bucket could count them all";

    public static InitRequest? Parse(ReadOnlySpan<byte> utf8Json, out ApiError? error)
    {
        var fields = new Fields();
        error = JsonObjectReader.Read(utf8Json, ref fields, static (ref Utf8JsonReader reader, ref Fields state) =>
        {
            if (reader.ValueTextEquals("productId"u8))
            {
                return JsonObjectReader.ReadString(ref reader, "productId", out state.ProductId);
            }
            if (reader.ValueTextEquals("quantity"u8))
            {
                return ReadInt(ref reader, minimum: 0, QuantityRule, out state.Quantity);
            }
            if (reader.ValueTextEquals("maxPerCustomer"u8))
            {
                return ReadInt(ref reader, minimum: 1, MaxPerCustomerRule, out state.MaxPerCustomer);
            }
            if (reader.ValueTextEquals("stockBuckets"u8))
            {
                var error = ReadInt(ref reader, minimum: 1, StockBucketsRule, out state.StockBuckets);
                return error ?? (state.StockBuckets > Redis.StockBuckets.Max ? ApiError.BadRequest(StockBucketsRule) : null);
            }
            return null;
        });
        if (error is not null)
        {
            return null;
        }
        if (InputRules.CheckProductId(fields.ProductId) is { } invalid)
        {
            error = ApiError.BadRequest(invalid);
            return null;
        }
        if (fields.Quantity is null)
        {
            error = ApiError.BadRequest("quantity is required");
            return null;
        }
        if (fields.MaxPerCustomer is not null && fields.StockBuckets > 1)
        {
            error = ApiError.BadRequest(LimitNeedsOneBucket);
            return null;
        }
        return new InitRequest(fields.ProductId!, fields.Quantity.Value, fields.MaxPerCustomer, fields.StockBuckets ?? 1);
    }

    /// <summary>The value after a property name: an Int32 of at least <paramref name="minimum"/>, else the rule as a 400.</summary>
    private static ApiError? ReadInt(ref Utf8JsonReader reader, int minimum, string rule, out int? value)
    {
        reader.Read();
        if (reader.TokenType == JsonTokenType.Number && reader.TryGetInt32(out var number) && number >= minimum)
        {
            value = number;
            return null;
        }
        if (reader.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray)
        {
            reader.Skip();
        }
        value = null;
        return ApiError.BadRequest(rule);
    }

    private struct Fields
    {
        public string? ProductId;
        public int? Quantity;
        public int? MaxPerCustomer;
        public int? StockBuckets;
    }
}
