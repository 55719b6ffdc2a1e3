using Microsoft.Extensions.Options;

namespace FluxGate.Api.Options;

/// <summary>Checks that data annotations cannot express; runs at start-up.</summary>
internal sealed class AdmissionOptionsValidation : IValidateOptions<AdmissionOptions>
{
    public ValidateOptionsResult Validate(string? name, AdmissionOptions options)
    {
        if (string.IsNullOrEmpty(options.SigningKey))
        {
            return ValidateOptionsResult.Success;
        }
        byte[] key;
        try
        {
            key = Convert.FromBase64String(options.SigningKey);
        }
        catch (FormatException)
        {
            return ValidateOptionsResult.Fail("Admission:SigningKey must be base64.");
        }
        if (key.Length < 32)
        {
            return ValidateOptionsResult.Fail($"Admission:SigningKey must be at least 32 bytes; it is {key.Length}.");
        }
        return ValidateOptionsResult.Success;
    }
}
