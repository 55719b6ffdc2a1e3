using System.Text.Json;
using System.Text.Json.Serialization;

namespace FluxGate.WaitingRoom.Ordering;

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(OrderRequest))]
internal sealed partial class OrderingJsonContext : JsonSerializerContext;
