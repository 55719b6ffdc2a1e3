using System.Text.Json.Serialization;

namespace FluxGate.Contracts;

/// <summary>
/// An event on topic <see cref="Topics.Orders"/>, keyed by product id so that every event of one
/// product lands in one partition, in order. Serialized as JSON with a <c>type</c> discriminator.
/// </summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "type")]
[JsonDerivedType(typeof(StockInitialized), nameof(StockInitialized))]
[JsonDerivedType(typeof(OrderAccepted), nameof(OrderAccepted))]
[JsonDerivedType(typeof(OrderCancelled), nameof(OrderCancelled))]
public abstract record OrderEvent(string ProductId);

/// <summary><c>POST /init</c> set the product's stock to <paramref name="Quantity"/>.</summary>
/// <param name="StartsAt">When the sale opens (a scheduled drop), so that a product restored from PostgreSQL keeps it.
/// Left out of the JSON when the sale opened at once.</param>
public sealed record StockInitialized(
    string ProductId,
    int Quantity,
    DateTimeOffset InitializedAt,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] DateTimeOffset? StartsAt = null)
    : OrderEvent(ProductId);

/// <summary>A unit was reserved in Redis for this order; the order must be persisted.</summary>
/// <param name="SignedIn">Placed with a shopper token (<paramref name="UserId"/> is its subject): only that shopper, or
/// the admin key, may cancel it. Left out of the JSON when false.</param>
public sealed record OrderAccepted(
    Guid OrderId,
    string ProductId,
    string UserId,
    string IdempotencyKey,
    DateTimeOffset AcceptedAt,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] bool SignedIn = false)
    : OrderEvent(ProductId);

/// <summary>An accepted order was cancelled and its unit returned to stock.</summary>
public sealed record OrderCancelled(Guid OrderId, string ProductId, DateTimeOffset CancelledAt)
    : OrderEvent(ProductId);
