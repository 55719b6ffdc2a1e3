using System.ComponentModel.DataAnnotations;

namespace FluxGate.Api.Options;

/// <summary>
/// Per-product token bucket (spec: 1-second window; 50/s demo, 10,000/s production). Defaults are set
/// per environment in <see cref="Extensions.AddApplicationServices"/>; configuration overrides them.
/// </summary>
public sealed class RateLimitOptions
{
    public const string Section = "RateLimit";

    [Range(0.001, 100_000_000)]
    public double PermitsPerSecond { get; set; }

    /// <summary>Bucket size: how many orders may pass at once after a quiet spell. 0 = one second's worth.</summary>
    [Range(0, 100_000_000)]
    public double Burst { get; set; }

    public double EffectiveBurst => Burst > 0 ? Burst : Math.Max(1, PermitsPerSecond);
}
