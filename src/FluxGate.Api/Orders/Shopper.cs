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
/// <remarks>The rate key is built only when asked for: the per-shopper limit is off by default, and formatting an address
/// for every order would cost the hot path two strings.</remarks>
public readonly record struct Shopper(ShopperTier Tier, string CustomerId, IPAddress? ClientAddress = null)
{
    public bool IsAuthenticated => Tier == ShopperTier.Authenticated;

    public string RateKey => IsAuthenticated ? "sub:" + CustomerId : "ip:" + (ClientAddress?.ToString() ?? "unknown");

    public static Shopper Anonymous(string userId, IPAddress? clientAddress) => new(ShopperTier.Anonymous, userId, clientAddress);

    public static Shopper SignedIn(string subject) => new(ShopperTier.Authenticated, subject);
}
