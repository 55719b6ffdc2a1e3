namespace FluxGate.Api.Orders;

/// <summary>What the order script decided for one request.</summary>
public enum OrderDecisionKind
{
    /// <summary>A unit is reserved and the key is held as in flight: hand the order to Kafka.</summary>
    Reserved,
    /// <summary>The key's order was accepted before.</summary>
    Duplicate,
    /// <summary>The key's first request is still waiting for Kafka.</summary>
    InProgress,
    SoldOut,
    RateLimited,
    /// <summary>No <c>POST /init</c> ever ran for the product; answered like sold out.</summary>
    NotInitialized,
    /// <summary>The admission token's ticket was used before.</summary>
    AdmissionAlreadyUsed,
    /// <summary>The customer holds as many units of the product as its purchase limit allows.</summary>
    LimitReached,
    /// <summary>A scheduled sale before its <c>startsAt</c>: the shopper waits in the room's pre-queue.</summary>
    NotOpenYet,
}

/// <param name="OrderId">The reserved order's id, or the original order's id for a known key.</param>
/// <param name="Bucket">The stock bucket that reserved it: where Kafka's answer confirms or undoes it.</param>
public readonly record struct OrderDecision(OrderDecisionKind Kind, Guid OrderId = default, string? Bucket = null);
