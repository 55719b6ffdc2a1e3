using System.Text.Json;
using System.Text.Json.Serialization;

namespace FluxGate.Api.Http;

/// <summary>Body of the order and init answers: <c>{"status","msg"}</c> as in the spec, plus the order's id where one exists.</summary>
public sealed record StatusResponse(
    string Status,
    string Msg,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] Guid? OrderId = null);

/// <summary>Body of a rejected request: <c>{"error": "…"}</c> as the spec's 400 shows.</summary>
public sealed record ErrorResponse(string Error);

public sealed record InventoryResponse(string ProductId, long Stock);

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
internal sealed partial class ApiJsonContext : JsonSerializerContext;
