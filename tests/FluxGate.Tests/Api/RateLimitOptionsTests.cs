using FluxGate.Api.Options;
using FluxGate.Api.Orders;

namespace FluxGate.Tests.Api;

/// <summary>How the tiers share the product's rate, and which settings are refused at start.</summary>
public class RateLimitOptionsTests
{
    private static readonly RateLimitOptionsValidation Validation = new();

    [Fact]
    public void Without_tiers_both_tiers_draw_from_the_products_one_bucket()
    {
        var options = new RateLimitOptions { PermitsPerSecond = 50 };

        Assert.False(options.HasTiers);
        Assert.Equal((50, 50), options.For(ShopperTier.Authenticated));
        Assert.Equal((50, 50), options.For(ShopperTier.Anonymous));
    }

    [Fact]
    public void A_tier_left_unset_gets_what_the_other_leaves_and_bursts_default_to_shares_of_the_products_burst()
    {
        var options = new RateLimitOptions { PermitsPerSecond = 100, Burst = 200, Tiers = { Authenticated = { PermitsPerSecond = 80 } } };

        Assert.True(options.HasTiers);
        Assert.Equal((80, 160), options.For(ShopperTier.Authenticated));
        Assert.Equal((20, 40), options.For(ShopperTier.Anonymous));
        Assert.True(Validation.Validate(null, options).Succeeded);
    }

    [Fact]
    public void Both_tiers_set_use_their_own_rates_and_bursts()
    {
        var options = new RateLimitOptions
        {
            PermitsPerSecond = 100,
            Tiers = { Authenticated = { PermitsPerSecond = 60, Burst = 5 }, Anonymous = { PermitsPerSecond = 30 } },
        };

        Assert.Equal((60, 5), options.For(ShopperTier.Authenticated));
        Assert.Equal((30, 30), options.For(ShopperTier.Anonymous));
        Assert.True(Validation.Validate(null, options).Succeeded);
    }

    [Theory]
    [InlineData(80, 40, "add up to 120")]
    [InlineData(100, 0, "leaves nothing")]
    [InlineData(-1, 0, "Tiers:Authenticated:PermitsPerSecond must be between")]
    public void Tiers_that_do_not_fit_the_products_rate_are_refused(double authenticated, double anonymous, string expected)
    {
        var options = new RateLimitOptions
        {
            PermitsPerSecond = 100,
            Tiers = { Authenticated = { PermitsPerSecond = authenticated }, Anonymous = { PermitsPerSecond = anonymous } },
        };

        var result = Validation.Validate(null, options);

        Assert.True(result.Failed);
        Assert.Contains(expected, result.FailureMessage);
    }

    [Fact]
    public void The_per_shopper_bucket_is_off_by_default_and_its_burst_is_a_seconds_worth()
    {
        Assert.Equal(0, new RateLimitOptions().PerShopper.PermitsPerSecond);
        Assert.Equal(1, new RateBucketOptions { PermitsPerSecond = 0.5 }.EffectiveBurst);
        Assert.Equal(4, new RateBucketOptions { PermitsPerSecond = 4 }.EffectiveBurst);
        Assert.True(Validation.Validate(null, new RateLimitOptions { PermitsPerSecond = 1, PerShopper = { Burst = -2 } }).Failed);
    }
}
