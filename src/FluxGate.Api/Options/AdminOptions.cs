namespace FluxGate.Api.Options;

public sealed class AdminOptions
{
    public const string Section = "Admin";

    /// <summary>
    /// Key required in header <c>x-api-key</c> by admin endpoints (<c>POST /init</c>). Unset: open in
    /// Development (so the spec's curl examples work), closed elsewhere.
    /// </summary>
    public string? ApiKey { get; set; }
}
