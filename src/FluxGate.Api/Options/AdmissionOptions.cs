namespace FluxGate.Api.Options;

public sealed class AdmissionOptions
{
    public const string Section = "Admission";

    /// <summary>
    /// Base64 HMAC key shared with the waiting room (at least 32 bytes). Unset: admission tokens are refused.
    /// </summary>
    public string? SigningKey { get; set; }

    /// <summary>How long a used token's ticket is remembered; longer than any token lives.</summary>
    public TimeSpan UsedTicketRetention { get; set; } = TimeSpan.FromMinutes(10);
}
