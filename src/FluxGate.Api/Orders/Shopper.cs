using System.Net;

namespace FluxGate.Api.Orders;

/// <summary>How much the api knows about who places an order: a signed-in shopper, or anonymous traffic.</summary>
public enum ShopperTier
{
    Anonymous,
    Authenticated,
}

/// <summary>
/// Who places an order. <see cref="CustomerId"/> is what purchase limits count by (the token's subject when signed in,
/// else the body's userId); <see cref="RateKey"/> is what the per-shopper rate limit counts by (the subject, or the
/// client's address for anonymous traffic, so that a fresh userId per request does not buy a fresh allowance).
/// </summary>
public readonly record struct Shopper(ShopperTier Tier, string CustomerId, string RateKey)
{
    public bool IsAuthenticated => Tier == ShopperTier.Authenticated;

    public static Shopper Anonymous(string userId, IPAddress? clientAddress) =>
        new(ShopperTier.Anonymous, userId, "ip:" + (clientAddress?.ToString() ?? "unknown"));

    public static Shopper SignedIn(string subject) => new(ShopperTier.Authenticated, subject, "sub:" + subject);
}
