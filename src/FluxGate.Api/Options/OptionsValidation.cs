using FluxGate.Api.Orders;
using Microsoft.Extensions.Options;

namespace FluxGate.Api.Options;

/// <summary>The tiers' and the per-shopper bucket's settings (nested, so data annotations do not reach them) and how the tiers share the product's rate.</summary>
internal sealed class RateLimitOptionsValidation : IValidateOptions<RateLimitOptions>
{
    public ValidateOptionsResult Validate(string? name, RateLimitOptions options)
    {
        var failures = new List<string>();
        Check("Tiers:Authenticated", options.Tiers.Authenticated);
        Check("Tiers:Anonymous", options.Tiers.Anonymous);
        Check("PerShopper", options.PerShopper);
        if (failures.Count == 0 && options.HasTiers)
        {
            var configured = options.Tiers.Authenticated.PermitsPerSecond + options.Tiers.Anonymous.PermitsPerSecond;
            if (configured > options.PermitsPerSecond)
            {
                failures.Add($"RateLimit:Tiers: the tiers' PermitsPerSecond add up to {configured}, more than the product's RateLimit:PermitsPerSecond ({options.PermitsPerSecond}).");
            }
            else
            {
                foreach (var tier in Enum.GetValues<ShopperTier>())
                {
                    if (options.For(tier).PermitsPerSecond < 0.001)
                    {
                        failures.Add($"RateLimit:Tiers: the other tier leaves nothing of RateLimit:PermitsPerSecond ({options.PermitsPerSecond}) " +
                                     $"for the {tier} tier; set RateLimit:Tiers:{tier}:PermitsPerSecond too.");
                    }
                }
            }
        }
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);

        void Check(string path, RateBucketOptions bucket)
        {
            if (bucket.PermitsPerSecond is < 0 or > 100_000_000 || double.IsNaN(bucket.PermitsPerSecond))
            {
                failures.Add($"RateLimit:{path}:PermitsPerSecond must be between 0 (not set) and 100000000; it is {bucket.PermitsPerSecond}.");
            }
            if (bucket.Burst is < 0 or > 100_000_000 || double.IsNaN(bucket.Burst))
            {
                failures.Add($"RateLimit:{path}:Burst must be between 0 (its default) and 100000000; it is {bucket.Burst}.");
            }
        }
    }
}
