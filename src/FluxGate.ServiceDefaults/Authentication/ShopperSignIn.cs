using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;

namespace FluxGate.ServiceDefaults.Authentication;

/// <summary>
/// Authenticates a shopper on demand, in the handler, instead of in a middleware on every request: an anonymous order
/// (no <c>Authorization</c> header, the flash-sale hot path) costs one header lookup. A header that is present must be
/// a valid token: a bad one is refused, never taken as anonymous.
/// </summary>
public sealed class ShopperSignIn(IOptions<ShopperAuthOptions> options, Func<string?, string?> checkSubject)
{
    public const string Scheme = JwtBearerDefaults.AuthenticationScheme;
    private const string SubjectClaim = "sub";
    private static readonly AuthenticationScheme BearerScheme = new(Scheme, displayName: null, typeof(JwtBearerHandler));

    private readonly ShopperCredential _withoutHeader =
        options.Value.Shoppers == ShopperAuthMode.Required ? ShopperCredential.Missing : ShopperCredential.Anonymous;
    private readonly bool _configured = options.Value.Jwt.IsConfigured;

    public ValueTask<ShopperCredential> AuthenticateAsync(HttpContext context)
    {
        var header = context.Request.Headers.Authorization;
        if (header.Count == 0)
        {
            return ValueTask.FromResult(_withoutHeader);
        }
        if (header.Count > 1 || header[0] is not { } value || !value.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)
            || value.AsSpan(7).Trim().IsEmpty)
        {
            return ValueTask.FromResult(ShopperCredential.Invalid("Send one Authorization header: Bearer <token>"));
        }
        if (!_configured)
        {
            return ValueTask.FromResult(ShopperCredential.Invalid("Shopper tokens are not accepted here: no issuer is configured"));
        }
        return new ValueTask<ShopperCredential>(ValidateAsync(context, value.AsSpan(7).Trim().ToString()));
    }

    private async Task<ShopperCredential> ValidateAsync(HttpContext context, string token)
    {
        var handler = context.RequestServices.GetRequiredService<JwtBearerHandler>();
        await handler.InitializeAsync(BearerScheme, context);
        var result = await handler.AuthenticateAsync();
        if (!result.Succeeded)
        {
            return ShopperCredential.Invalid(Describe(result.Failure));
        }
        var subject = result.Principal.FindFirst(SubjectClaim)?.Value;
        return checkSubject(subject) is null
            ? ShopperCredential.SignedIn(subject!, token)
            : ShopperCredential.Invalid("The token has no valid subject (sub)");
    }

    /// <summary>The token's fault in the client's words (the exception's own message names keys and claims: not for them).</summary>
    internal static string Describe(Exception? failure) => failure switch
    {
        SecurityTokenExpiredException => "The token expired",
        SecurityTokenNotYetValidException => "The token is not valid yet",
        SecurityTokenInvalidAudienceException => "The token is for another audience",
        SecurityTokenInvalidIssuerException => "The token is from another issuer",
        SecurityTokenSignatureKeyNotFoundException or SecurityTokenInvalidSignatureException => "The token signature is invalid",
        SecurityTokenInvalidAlgorithmException => "The token is signed with an algorithm that is not accepted",
        SecurityTokenNoExpirationException => "The token has no expiry",
        _ => "The token is invalid",
    };
}
