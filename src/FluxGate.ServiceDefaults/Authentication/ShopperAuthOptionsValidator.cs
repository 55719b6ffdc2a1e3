using Microsoft.Extensions.Options;

namespace FluxGate.ServiceDefaults.Authentication;

internal sealed class ShopperAuthOptionsValidator : IValidateOptions<ShopperAuthOptions>
{
    public ValidateOptionsResult Validate(string? name, ShopperAuthOptions options)
    {
        var jwt = options.Jwt;
        var failures = new List<string>();
        if (options.Shoppers == ShopperAuthMode.Required && !jwt.IsConfigured)
        {
            failures.Add("Auth:Shoppers is Required but no token issuer is configured: set Auth:Jwt:Authority, or Auth:Jwt:Issuer " +
                         "and Auth:Jwt:SigningKey.");
        }
        if (jwt.Authority is not null && !string.IsNullOrEmpty(jwt.SigningKey))
        {
            failures.Add("Auth:Jwt:Authority and Auth:Jwt:SigningKey exclude each other: keys come from the authority's metadata.");
        }
        if (jwt.Authority is { } authority && (!authority.IsAbsoluteUri || authority.Scheme is not ("http" or "https")))
        {
            failures.Add($"Auth:Jwt:Authority must be an absolute http(s) URL (was '{authority}').");
        }
        if (!string.IsNullOrEmpty(jwt.SigningKey))
        {
            var bytes = new byte[jwt.SigningKey.Length];
            if (!Convert.TryFromBase64String(jwt.SigningKey, bytes, out var length))
            {
                failures.Add("Auth:Jwt:SigningKey is not valid base64.");
            }
            else if (length < ShopperJwtOptions.MinimumKeyBytes)
            {
                failures.Add($"Auth:Jwt:SigningKey must decode to at least {ShopperJwtOptions.MinimumKeyBytes} bytes (it has {length}).");
            }
            if (string.IsNullOrWhiteSpace(jwt.Issuer))
            {
                failures.Add("Auth:Jwt:Issuer is required with Auth:Jwt:SigningKey.");
            }
        }
        if (jwt.IsConfigured && string.IsNullOrWhiteSpace(jwt.Audience))
        {
            failures.Add("Auth:Jwt:Audience is required once shopper tokens are configured.");
        }
        if (jwt.ClockSkew < TimeSpan.Zero || jwt.ClockSkew > TimeSpan.FromMinutes(5))
        {
            failures.Add($"Auth:Jwt:ClockSkew must be between 00:00:00 and 00:05:00 (was {jwt.ClockSkew}).");
        }
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
