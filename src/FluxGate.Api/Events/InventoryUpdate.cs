using System.Text.Json.Serialization;

namespace FluxGate.Api.Events;

/// <summary>A message on <c>/events</c>: a product's stock right now (null: never initialized).</summary>
public sealed record InventoryUpdate(string ProductId, long? Stock)
{
    public string Type => "inventory";

    public bool SoldOut => Stock is null or <= 0;
}

[JsonSourceGenerationOptions(System.Text.Json.JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(InventoryUpdate))]
internal sealed partial class EventsJsonContext : JsonSerializerContext;
