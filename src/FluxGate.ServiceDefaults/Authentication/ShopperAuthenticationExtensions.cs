using FluxGate.ServiceDefaults.Authentication;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;

namespace Microsoft.Extensions.Hosting;

public static class ShopperAuthenticationExtensions
{
    /// <summary>
    /// Shopper tokens (<c>Authorization: Bearer</c>, section <c>Auth</c>, validated at start) for the handlers that ask
    /// <see cref="ShopperSignIn"/>. No authentication middleware runs: nothing is done for a request that does not ask.
    /// </summary>
    /// <param name="checkSubject">The rule a token's subject obeys as a user id (null: valid; else what is wrong).</param>
    public static IHostApplicationBuilder AddShopperAuthentication(this IHostApplicationBuilder builder, Func<string?, string?> checkSubject)
    {
        builder.Services.AddValidatedOptions<ShopperAuthOptions, ShopperAuthOptionsValidator>(ShopperAuthOptions.Section);
        builder.Services.AddSingleton(services =>
            new ShopperSignIn(services.GetRequiredService<IOptions<ShopperAuthOptions>>(), checkSubject));

        // The JwtBearer handler and its options, without AddAuthentication: once IAuthenticationSchemeProvider is registered,
        // WebApplication adds the authentication middleware to every request (the sold-out profile: ~290 B and a DI scope
        // per request, for a hot path that authenticates only when an Authorization header is sent). ShopperSignIn runs the
        // handler itself, as ASP.NET Core's AuthenticationHandlerProvider would.
        new AuthenticationBuilder(builder.Services).AddJwtBearer(ShopperSignIn.Scheme);
        // What AddAuthentication would register and the handler needs: a clock, a UrlEncoder, and where scheme settings are
        // read from (the "Authentication" section, as by default).
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddWebEncoders();
        builder.Services.TryAddSingleton<IAuthenticationConfigurationProvider>(
            new AuthenticationSection(builder.Configuration.GetSection("Authentication")));
        builder.Services.AddOptions<JwtBearerOptions>(ShopperSignIn.Scheme)
            .Configure<IOptions<ShopperAuthOptions>, IHostEnvironment>((bearer, auth, environment) =>
            {
                var jwt = auth.Value.Jwt;
                bearer.MapInboundClaims = false; // "sub" stays "sub"
                bearer.Authority = jwt.Authority?.ToString();
                bearer.RequireHttpsMetadata = !environment.IsDevelopment();
                bearer.Audience = jwt.Audience;
                var validation = bearer.TokenValidationParameters;
                validation.ValidateAudience = true;
                validation.ValidAudience = jwt.Audience;
                validation.ValidateIssuer = true;
                validation.ValidIssuer = jwt.Issuer;
                validation.ValidateLifetime = true;
                validation.RequireExpirationTime = true;
                validation.ClockSkew = jwt.ClockSkew;
                if (jwt.SigningKeyBytes() is { } key)
                {
                    validation.IssuerSigningKey = new SymmetricSecurityKey(key);
                    validation.ValidAlgorithms = [SecurityAlgorithms.HmacSha256];
                }
            });
        return builder;
    }

    private sealed class AuthenticationSection(IConfiguration section) : IAuthenticationConfigurationProvider
    {
        public IConfiguration AuthenticationConfiguration => section;
    }
}
