using FluxGate.ServiceDefaults.Authentication;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.Extensions.DependencyInjection;
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
        builder.Services.AddOptions<ShopperAuthOptions>().BindConfiguration(ShopperAuthOptions.Section).ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<ShopperAuthOptions>, ShopperAuthOptionsValidator>();
        builder.Services.AddSingleton(services =>
            new ShopperSignIn(services.GetRequiredService<IOptions<ShopperAuthOptions>>(), checkSubject));

        // With one scheme registered, ASP.NET Core makes it the default, and the authentication middleware that
        // WebApplication adds by itself then authenticates every request (the profile showed ~15% of a sold-out
        // request's allocations there). Without a default scheme, only the handlers that ask authenticate.
        AppContext.SetSwitch("Microsoft.AspNetCore.Authentication.SuppressAutoDefaultScheme", true);
        builder.Services.AddAuthentication().AddJwtBearer(ShopperSignIn.Scheme);
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
}
