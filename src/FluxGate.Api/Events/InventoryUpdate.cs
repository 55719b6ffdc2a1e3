using System.Text.Json.Serialization;
using FluxGate.Api.Orders;

namespace FluxGate.Api.Events;

/// <summary>
/// A message on <c>/events</c>: a product's stock right now (null: never initialized) and, for a scheduled sale, when it
/// opens.
/// </summary>
public sealed record InventoryUpdate(
    string ProductId,
    long? Stock,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] DateTimeOffset? StartsAt = null)
{
    public string Type => "inventory";

    public bool SoldOut => Stock is null or <= 0;

    public static InventoryUpdate Of(string productId, ProductSale sale) => new(productId, sale.Stock, sale.StartsAt);
}

[JsonSourceGenerationOptions(System.Text.Json.JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(InventoryUpdate))]
internal sealed partial class EventsJsonContext : JsonSerializerContext;
