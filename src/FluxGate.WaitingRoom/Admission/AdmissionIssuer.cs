using FluxGate.Contracts;
using FluxGate.ServiceDefaults.Authentication;
using FluxGate.WaitingRoom.Options;
using Microsoft.Extensions.Options;

namespace FluxGate.WaitingRoom.Admission;

/// <summary>Signs the short-lived pass that lets a served ticket through the API once.</summary>
public sealed class AdmissionIssuer(IOptions<AdmissionOptions> options, TimeProvider time)
{
    private readonly byte[] _key = options.Value.SigningKeyBytes()!;
    private readonly TimeSpan _lifetime = options.Value.TokenLifetime;

    public IssuedAdmission Issue(string productId, long ticket)
    {
        var admission = new AdmissionToken(productId, ticket, time.GetUtcNow() + _lifetime);
        return new IssuedAdmission(admission.Sign(_key), admission.ExpiresAt);
    }
}

public sealed record IssuedAdmission(string Token, DateTimeOffset ExpiresAt);
