using FluxGate.Api.Options;
using FluxGate.Contracts;
using FluxGate.ServiceDefaults.Authentication;
using Microsoft.Extensions.Options;

namespace FluxGate.Api.Orders;

/// <summary>Checks a waiting-room admission token's signature, expiry and product (one-time use is the order script's job).</summary>
public sealed class AdmissionVerifier(IOptions<AdmissionOptions> options, TimeProvider time)
{
    private readonly byte[]? _signingKey = options.Value.SigningKeyBytes();

    /// <returns>The admitted ticket, or null with <paramref name="error"/> set.</returns>
    public long? Verify(string token, string productId, out string? error)
    {
        if (_signingKey is null)
        {
            error = "Admission tokens are not enabled on this server";
            return null;
        }
        if (!AdmissionToken.TryVerify(token, _signingKey, time.GetUtcNow(), out var admission, out error))
        {
            return null;
        }
        if (admission.ProductId != productId)
        {
            error = "Admission token is for another product";
            return null;
        }
        return admission.Ticket;
    }
}
