namespace FluxGate.ServiceDefaults.Authentication;

public enum CredentialState
{
    /// <summary>No <c>Authorization</c> header, and tokens are optional: the shopper is the body's <c>userId</c>.</summary>
    Anonymous,

    /// <summary>A valid token: the shopper is its subject.</summary>
    SignedIn,

    /// <summary>No <c>Authorization</c> header where tokens are required.</summary>
    Missing,

    /// <summary>A header that is no valid token: expired, wrongly signed, for another audience or issuer, not a Bearer token.</summary>
    Invalid,
}

/// <summary>What a request says about its shopper: nothing, a valid token's subject, or a refusal and why.</summary>
public sealed record ShopperCredential(CredentialState State, string? Subject = null, string? Token = null, string? Problem = null)
{
    public static readonly ShopperCredential Anonymous = new(CredentialState.Anonymous);
    public static readonly ShopperCredential Missing = new(CredentialState.Missing,
        Problem: "A shopper token is required: send Authorization: Bearer <token>");

    /// <summary>The request must be answered 401 (with <see cref="Challenge"/> in <c>WWW-Authenticate</c>).</summary>
    public bool IsRefused => State is CredentialState.Missing or CredentialState.Invalid;

    /// <summary>The <c>WWW-Authenticate</c> value of a refusal (RFC 6750 §3).</summary>
    public string Challenge => State == CredentialState.Invalid
        ? $"Bearer error=\"invalid_token\", error_description=\"{Problem}\""
        : "Bearer";

    public static ShopperCredential SignedIn(string subject, string token) => new(CredentialState.SignedIn, subject, token);

    /// <param name="problem">Plain ASCII without quotes: it goes into <see cref="Challenge"/> as well.</param>
    public static ShopperCredential Invalid(string problem) => new(CredentialState.Invalid, Problem: problem);
}
