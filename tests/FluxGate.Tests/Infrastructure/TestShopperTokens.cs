using System.Security.Cryptography;
using FluxGate.AppHost.Hosting;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace FluxGate.Tests.Infrastructure;

/// <summary>Shopper tokens for tests: the development issuer's by default, or wrong in one chosen way.</summary>
public static class TestShopperTokens
{
    public static string NewKey() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(33));

    public static string Mint(string base64Key, string? subject, string issuer = ShopperTokens.Issuer, string audience = ShopperTokens.Audience,
        TimeSpan? expiresIn = null)
    {
        var now = DateTime.UtcNow;
        var expires = now + (expiresIn ?? TimeSpan.FromMinutes(10));
        var claims = new Dictionary<string, object>();
        if (subject is not null)
        {
            claims[JwtRegisteredClaimNames.Sub] = subject;
        }
        return new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false }.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = issuer,
            Audience = audience,
            Claims = claims,
            IssuedAt = expires < now ? expires - TimeSpan.FromMinutes(10) : now,
            NotBefore = expires < now ? expires - TimeSpan.FromMinutes(10) : now,
            Expires = expires,
            SigningCredentials = new SigningCredentials(new SymmetricSecurityKey(Convert.FromBase64String(base64Key)), SecurityAlgorithms.HmacSha256),
        });
    }

    /// <summary>Expired well beyond the services' 30 s clock skew.</summary>
    public static string Expired(string base64Key, string subject) => Mint(base64Key, subject, expiresIn: TimeSpan.FromMinutes(-5));
}
