using Microsoft.Extensions.Options;

namespace FluxGate.ServiceDefaults.Authentication;

/// <summary>
/// Configuration section <c>Admission</c>, the same in the api and the waiting room: the key the room signs admission
/// tokens with and the api checks them with (<c>FluxGate.Contracts.AdmissionToken</c>).
/// </summary>
public sealed class AdmissionOptions
{
    public const string Section = "Admission";
    public const int MinimumKeyBytes = 32;

    /// <summary>
    /// Base64 HMAC-SHA256 key of at least <see cref="MinimumKeyBytes"/> bytes, the same in both services; never logged.
    /// Unset, the api refuses admission tokens and the waiting room does not start.
    /// </summary>
    public string? SigningKey { get; set; }

    /// <summary>The waiting room: how long an admission token stays valid after it is issued.</summary>
    public TimeSpan TokenLifetime { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>The api: how long a used token's ticket is remembered; longer than any token lives.</summary>
    public TimeSpan UsedTicketRetention { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>The decoded key, or null when none is set; call only after validation.</summary>
    public byte[]? SigningKeyBytes() => string.IsNullOrEmpty(SigningKey) ? null : Convert.FromBase64String(SigningKey);
}

/// <param name="keyRequired">The waiting room cannot work without the key; the api can (it then refuses tokens).</param>
public sealed class AdmissionOptionsValidator(bool keyRequired) : IValidateOptions<AdmissionOptions>
{
    public ValidateOptionsResult Validate(string? name, AdmissionOptions options)
    {
        var failures = new List<string>();
        if (string.IsNullOrWhiteSpace(options.SigningKey))
        {
            if (keyRequired)
            {
                failures.Add("Admission:SigningKey is missing: set it (environment variable Admission__SigningKey) to the same " +
                             $"base64 key of at least {AdmissionOptions.MinimumKeyBytes} bytes as the API's; the AppHost generates one.");
            }
        }
        else
        {
            var bytes = new byte[options.SigningKey.Length];
            if (!Convert.TryFromBase64String(options.SigningKey, bytes, out var length))
            {
                failures.Add("Admission:SigningKey is not valid base64.");
            }
            else if (length < AdmissionOptions.MinimumKeyBytes)
            {
                failures.Add($"Admission:SigningKey must decode to at least {AdmissionOptions.MinimumKeyBytes} bytes (it has {length}).");
            }
        }
        if (options.TokenLifetime < TimeSpan.FromSeconds(5) || options.TokenLifetime > TimeSpan.FromMinutes(30))
        {
            failures.Add($"Admission:TokenLifetime must be between 00:00:05 and 00:30:00 (was {options.TokenLifetime}).");
        }
        if (options.UsedTicketRetention < TimeSpan.FromMinutes(1))
        {
            failures.Add($"Admission:UsedTicketRetention must be at least 00:01:00, longer than any token lives (was {options.UsedTicketRetention}).");
        }
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
