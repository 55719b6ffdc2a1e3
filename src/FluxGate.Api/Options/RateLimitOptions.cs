using System.ComponentModel.DataAnnotations;
using FluxGate.Api.Orders;

namespace FluxGate.Api.Options;

/// <summary>
/// Per-product token bucket (spec: 1-second window; 50/s demo, 10,000/s production), split into tiers when
/// <see cref="Tiers"/> configures one, plus an optional per-shopper bucket. Defaults are set per environment in
/// <see cref="Extensions.ApplicationServiceExtensions.AddApplicationServices"/>; configuration overrides them.
/// </summary>
/// <remarks>
/// Shares: with no tier configured, every order draws from one bucket of the product (<see cref="PermitsPerSecond"/>,
/// <see cref="Burst"/>), as before tiers existed. Once either tier is configured, the product's rate is partitioned:
/// each tier has a bucket of its own, at its configured rate, and a tier left unset gets what the other leaves of
/// <see cref="PermitsPerSecond"/>. The partition is hard: a quiet tier's share is not lent to the other. A tier's burst
/// defaults to its share of the product's burst (at least 1).
/// </remarks>
public sealed class RateLimitOptions
{
    public const string Section = "RateLimit";

    /// <summary>The product's total rate.</summary>
    [Range(0.001, 100_000_000)]
    public double PermitsPerSecond { get; set; }

    /// <summary>Bucket size: how many orders may pass at once after a quiet spell. 0 = one second's worth.</summary>
    [Range(0, 100_000_000)]
    public double Burst { get; set; }

    public RateTiers Tiers { get; set; } = new();

    /// <summary>Each shopper's own bucket (by <see cref="Shopper.RateKey"/>); off unless its rate is set.</summary>
    public RateBucketOptions PerShopper { get; set; } = new();

    public double EffectiveBurst => Burst > 0 ? Burst : Math.Max(1, PermitsPerSecond);

    public bool HasTiers => Tiers.Authenticated.PermitsPerSecond > 0 || Tiers.Anonymous.PermitsPerSecond > 0;

    /// <summary>The rate and burst of <paramref name="tier"/>'s bucket (the product's one bucket when no tier is configured).</summary>
    public (double PermitsPerSecond, double Burst) For(ShopperTier tier)
    {
        if (!HasTiers)
        {
            return (PermitsPerSecond, EffectiveBurst);
        }
        var (own, other) = tier == ShopperTier.Authenticated
            ? (Tiers.Authenticated, Tiers.Anonymous)
            : (Tiers.Anonymous, Tiers.Authenticated);
        var rate = own.PermitsPerSecond > 0 ? own.PermitsPerSecond : PermitsPerSecond - other.PermitsPerSecond;
        var burst = own.Burst > 0 ? own.Burst : Math.Max(1, EffectiveBurst * rate / PermitsPerSecond);
        return (rate, burst);
    }
}

public sealed class RateTiers
{
    public RateBucketOptions Authenticated { get; set; } = new();

    public RateBucketOptions Anonymous { get; set; } = new();
}

/// <summary>A bucket's rate (0 = not configured) and size (0 = its default); checked by <see cref="RateLimitOptionsValidation"/>.</summary>
public sealed class RateBucketOptions
{
    public double PermitsPerSecond { get; set; }

    public double Burst { get; set; }

    /// <summary>For the per-shopper bucket: the configured burst, or one second's worth (at least 1).</summary>
    public double EffectiveBurst => Burst > 0 ? Burst : Math.Max(1, PermitsPerSecond);
}
