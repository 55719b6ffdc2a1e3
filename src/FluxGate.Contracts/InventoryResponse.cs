using System.Text.Json.Serialization;

namespace FluxGate.Contracts;

/// <summary>
/// The api's answer to <c>GET /inventory/{productId}</c>: the units left over all the product's stock buckets and, for a
/// scheduled sale, when it opens (<c>startsAt</c>, absent otherwise). The waiting room learns a sale's state from it,
/// never from the api's keys.
/// </summary>
public sealed record InventoryResponse(
    string ProductId,
    long Stock,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] DateTimeOffset? StartsAt = null);
