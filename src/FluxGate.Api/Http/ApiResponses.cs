using System.Text.Json;
using System.Text.Json.Serialization;
using FluxGate.Api.Inventory;
using FluxGate.Api.Orders;
using FluxGate.Clients;
using FluxGate.Contracts;

namespace FluxGate.Api.Http;

/// <summary>Where an order stands: persisted in PostgreSQL, or accepted by Kafka and on its way there.</summary>
public sealed record OrderStatusResponse(
    Guid OrderId,
    string Status,
    bool Persisted,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? ProductId,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? UserId,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] DateTimeOffset? AcceptedAt);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(StatusResponse))]
[JsonSerializable(typeof(ErrorResponse))]
[JsonSerializable(typeof(InventoryResponse))]
[JsonSerializable(typeof(OrderStatusResponse))]
[JsonSerializable(typeof(OrderRequest))]
[JsonSerializable(typeof(CancelRequest))]
[JsonSerializable(typeof(InitRequest))]
internal sealed partial class ApiJsonContext : JsonSerializerContext;
