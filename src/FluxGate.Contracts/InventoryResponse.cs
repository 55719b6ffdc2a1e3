namespace FluxGate.Contracts;

/// <summary>
/// The api's answer to <c>GET /inventory/{productId}</c>: the units left over all the product's stock buckets. The
/// waiting room learns a sale's state from it, never from the api's keys.
/// </summary>
public sealed record InventoryResponse(string ProductId, long Stock);
