namespace FluxGate.ServiceDefaults.Authentication;

/// <summary>Whether a request needs a shopper token (<c>Auth:Shoppers</c>).</summary>
public enum ShopperAuthMode
{
    /// <summary>A token is used when sent (and must then be valid); without one the spec's anonymous flow holds (body <c>userId</c>).</summary>
    Optional,

    /// <summary>Every shopper request needs a valid token: without one, <c>401</c> with <c>WWW-Authenticate: Bearer</c>.</summary>
    Required,
}

/// <summary>Configuration section <c>Auth</c>, the same in the api and the waiting room.</summary>
public sealed class ShopperAuthOptions
{
    public const string Section = "Auth";

    /// <summary>
    /// <c>Optional</c> (default, in every environment: the spec's anonymous flow is the binding contract, and requiring
    /// tokens needs an issuer the shop runs) or <c>Required</c>.
    /// </summary>
    public ShopperAuthMode Shoppers { get; set; } = ShopperAuthMode.Optional;

    public ShopperJwtOptions Jwt { get; set; } = new();
}

/// <summary>
/// Configuration section <c>Auth:Jwt</c>: who issues shopper tokens. Either an <see cref="Authority"/> (an OpenID
/// Connect issuer; issuer and keys come from its metadata) or, for development, <see cref="Issuer"/> and an HMAC
/// <see cref="SigningKey"/> given directly (the AppHost's development issuer). Neither: every token is refused.
/// </summary>
public sealed class ShopperJwtOptions
{
    public const int MinimumKeyBytes = 32;

    public Uri? Authority { get; set; }

    /// <summary>The token's <c>iss</c>; required with <see cref="SigningKey"/>, optional with an authority (its metadata says).</summary>
    public string? Issuer { get; set; }

    /// <summary>The token's <c>aud</c> that FluxGate accepts; required once tokens are configured.</summary>
    public string? Audience { get; set; }

    /// <summary>Base64 HMAC-SHA256 key (≥ 32 bytes) of a development issuer. Never logged.</summary>
    public string? SigningKey { get; set; }

    /// <summary>Tolerance for clocks that differ when checking <c>exp</c> and <c>nbf</c>.</summary>
    public TimeSpan ClockSkew { get; set; } = TimeSpan.FromSeconds(30);

    public bool IsConfigured => Authority is not null || !string.IsNullOrEmpty(SigningKey);

    /// <summary>The decoded key; call only after validation.</summary>
    public byte[]? SigningKeyBytes() => string.IsNullOrEmpty(SigningKey) ? null : Convert.FromBase64String(SigningKey);
}
