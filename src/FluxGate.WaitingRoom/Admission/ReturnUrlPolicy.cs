using FluxGate.WaitingRoom.Options;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Options;

namespace FluxGate.WaitingRoom.Admission;

/// <summary>
/// Where a shopper who came without order details may be sent back with a token: only an absolute http(s) URL on
/// an allowed host, so a crafted link cannot make the room hand someone's admission to another site.
/// </summary>
public sealed class ReturnUrlPolicy(IOptions<WaitingRoomOptions> options)
{
    private readonly HashSet<string> _hosts = new(options.Value.AllowedReturnHosts, StringComparer.OrdinalIgnoreCase);

    public bool IsAllowed(string? returnUrl) =>
        returnUrl is { Length: > 0 and <= 2048 }
        && Uri.TryCreate(returnUrl, UriKind.Absolute, out var uri)
        && uri.Scheme is "http" or "https"
        && string.IsNullOrEmpty(uri.UserInfo)
        && _hosts.Contains(uri.Host);

    public static string WithToken(string returnUrl, string token) =>
        QueryHelpers.AddQueryString(returnUrl, "admissionToken", token);
}
