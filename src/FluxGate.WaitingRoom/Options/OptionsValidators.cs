using Microsoft.Extensions.Options;

namespace FluxGate.WaitingRoom.Options;

internal sealed class WaitingRoomOptionsValidator : IValidateOptions<WaitingRoomOptions>
{
    public ValidateOptionsResult Validate(string? name, WaitingRoomOptions options)
    {
        var failures = new List<string>();
        if (!double.IsFinite(options.AdmissionRatePerSecond) || options.AdmissionRatePerSecond <= 0)
        {
            failures.Add($"WaitingRoom:AdmissionRatePerSecond must be a positive number (was {options.AdmissionRatePerSecond}).");
        }
        if (options.TicketTtl < TimeSpan.FromMinutes(1))
        {
            failures.Add($"WaitingRoom:TicketTtl must be at least 00:01:00 (was {options.TicketTtl}).");
        }
        if (options.MinPollInterval < TimeSpan.FromMilliseconds(100) || options.MaxPollInterval < options.MinPollInterval)
        {
            failures.Add("WaitingRoom:MinPollInterval must be at least 100 ms and WaitingRoom:MaxPollInterval at least MinPollInterval.");
        }
        if (!options.ApiUrl.IsAbsoluteUri || options.ApiUrl.Scheme is not ("http" or "https"))
        {
            failures.Add($"WaitingRoom:ApiUrl must be an absolute http(s) URL (was '{options.ApiUrl}').");
        }
        if (options.ApiTimeout <= TimeSpan.Zero)
        {
            failures.Add("WaitingRoom:ApiTimeout must be positive.");
        }
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
