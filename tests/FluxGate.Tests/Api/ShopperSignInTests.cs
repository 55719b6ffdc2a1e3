using FluxGate.AppHost.Hosting;
using FluxGate.Contracts;
using FluxGate.ServiceDefaults.Authentication;
using FluxGate.Tests.Infrastructure;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace FluxGate.Tests.Api;

/// <summary>Shopper tokens in process (<see cref="ShopperSignIn"/>, the options, the parsers): no graph, no I/O.</summary>
public sealed class ShopperSignInTests
{
    private static readonly string Key = TestShopperTokens.NewKey();

    [Fact]
    public async Task Without_a_header_a_shopper_is_anonymous_when_tokens_are_optional()
    {
        var credential = await AuthenticateAsync(authorization: null);
        Assert.Equal(CredentialState.Anonymous, credential.State);
        Assert.False(credential.IsRefused);
        Assert.Null(credential.Subject);
    }

    [Fact]
    public async Task Without_a_header_a_shopper_is_refused_with_a_bearer_challenge_when_tokens_are_required()
    {
        var credential = await AuthenticateAsync(authorization: null, mode: "required");
        Assert.Equal(CredentialState.Missing, credential.State);
        Assert.True(credential.IsRefused);
        Assert.Equal("Bearer", credential.Challenge);
    }

    [Fact]
    public async Task A_valid_token_signs_in_its_subject()
    {
        var token = TestShopperTokens.Mint(Key, "user-42");
        var credential = await AuthenticateAsync("Bearer " + token);
        Assert.Equal(CredentialState.SignedIn, credential.State);
        Assert.Equal("user-42", credential.Subject);
        Assert.Equal(token, credential.Token);
    }

    [Fact]
    public async Task A_token_minted_by_the_apphost_is_valid()
    {
        var credential = await AuthenticateAsync("Bearer " + ShopperTokens.Mint(Key, "user-7", TimeProvider.System));
        Assert.Equal("user-7", credential.Subject);
    }

    public static TheoryData<string, string> BadTokens() => new()
    {
        { TestShopperTokens.Expired(Key, "user-42"), "The token expired" },
        { TestShopperTokens.Mint(TestShopperTokens.NewKey(), "user-42"), "The token signature is invalid" },
        { TestShopperTokens.Mint(Key, "user-42", audience: "another-shop"), "The token is for another audience" },
        { TestShopperTokens.Mint(Key, "user-42", issuer: "someone-else"), "The token is from another issuer" },
        { TestShopperTokens.Mint(Key, subject: null), "The token has no valid subject (sub)" },
        { TestShopperTokens.Mint(Key, "user\u0001"), "The token has no valid subject (sub)" },
        { "not.a.token", "The token is invalid" },
    };

    [Theory]
    [MemberData(nameof(BadTokens))]
    public async Task A_bad_token_is_refused_never_taken_as_anonymous(string token, string problem)
    {
        var credential = await AuthenticateAsync("Bearer " + token);
        Assert.Equal(CredentialState.Invalid, credential.State);
        Assert.Equal(problem, credential.Problem);
        Assert.Equal($"Bearer error=\"invalid_token\", error_description=\"{problem}\"", credential.Challenge);
    }

    [Theory]
    [InlineData("Basic dXNlcjpwYXNz")]
    [InlineData("Bearer ")]
    [InlineData("token-without-scheme")]
    public async Task An_authorization_header_that_is_no_bearer_token_is_refused(string header)
    {
        var credential = await AuthenticateAsync(header);
        Assert.Equal(CredentialState.Invalid, credential.State);
    }

    [Fact]
    public async Task A_token_where_no_issuer_is_configured_is_refused()
    {
        var credential = await AuthenticateAsync("Bearer " + TestShopperTokens.Mint(Key, "user-42"), configured: false);
        Assert.Equal(CredentialState.Invalid, credential.State);
        Assert.Contains("no issuer is configured", credential.Problem);
    }

    [Theory]
    [InlineData("required", null, null, null, null, "no token issuer is configured")]
    [InlineData("optional", null, "fluxgate", "a2V5", "iss", "at least 32 bytes")]
    [InlineData("optional", null, "fluxgate", "not base64!", "iss", "not valid base64")]
    [InlineData("optional", null, null, "KEY", "iss", "Audience is required")]
    [InlineData("optional", null, "fluxgate", "KEY", null, "Issuer is required")]
    [InlineData("optional", "https://login.example.com/", "fluxgate", "KEY", "iss", "exclude each other")]
    [InlineData("optional", "/relative", "fluxgate", null, null, "absolute http(s) URL")]
    public void Options_that_cannot_work_fail_at_start(string mode, string? authority, string? audience, string? key, string? issuer, string failure)
    {
        var services = Services(new Dictionary<string, string?>
        {
            ["Auth:Shoppers"] = mode,
            ["Auth:Jwt:Authority"] = authority,
            ["Auth:Jwt:Audience"] = audience,
            ["Auth:Jwt:SigningKey"] = key == "KEY" ? Key : key,
            ["Auth:Jwt:Issuer"] = issuer,
        });
        var exception = Assert.Throws<OptionsValidationException>(() => services.GetRequiredService<IOptions<ShopperAuthOptions>>().Value);
        Assert.Contains(failure, exception.Message);
    }

    [Fact]
    public void An_authority_with_an_audience_is_enough()
    {
        var services = Services(new Dictionary<string, string?>
        {
            ["Auth:Shoppers"] = "Required",
            ["Auth:Jwt:Authority"] = "https://login.example.com/tenant/",
            ["Auth:Jwt:Audience"] = "fluxgate",
        });
        Assert.Equal(ShopperAuthMode.Required, services.GetRequiredService<IOptions<ShopperAuthOptions>>().Value.Shoppers);
    }

    private static async Task<ShopperCredential> AuthenticateAsync(string? authorization, string mode = "optional", bool configured = true)
    {
        var settings = new Dictionary<string, string?> { ["Auth:Shoppers"] = mode };
        if (configured)
        {
            settings["Auth:Jwt:Issuer"] = ShopperTokens.Issuer;
            settings["Auth:Jwt:Audience"] = ShopperTokens.Audience;
            settings["Auth:Jwt:SigningKey"] = Key;
        }
        var services = Services(settings);
        var context = new DefaultHttpContext { RequestServices = services };
        if (authorization is not null)
        {
            context.Request.Headers.Authorization = authorization;
        }
        return await services.GetRequiredService<ShopperSignIn>().AuthenticateAsync(context);
    }

    private static ServiceProvider Services(Dictionary<string, string?> settings)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings { EnvironmentName = "Development" });
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Services.AddLogging();
        builder.AddShopperAuthentication(InputRules.CheckUserId);
        return builder.Services.BuildServiceProvider();
    }
}
