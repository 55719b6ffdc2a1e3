using System.Text.Json;
using System.Text.Json.Serialization;
using FluxGate.Contracts;

namespace FluxGate.WaitingRoom.Ordering;

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(OrderRequest))]
[JsonSerializable(typeof(InventoryResponse))]
internal sealed partial class OrderingJsonContext : JsonSerializerContext;
