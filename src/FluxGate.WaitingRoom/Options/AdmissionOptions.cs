namespace FluxGate.WaitingRoom.Options;

/// <summary>Configuration section <c>Admission</c>, shared with the API.</summary>
public sealed class AdmissionOptions
{
    public const string SectionName = "Admission";
    public const int MinimumKeyBytes = 32;

    /// <summary>Base64 HMAC-SHA256 key (≥ 32 bytes) shared by the waiting room and the API. Never logged.</summary>
    public string? SigningKey { get; set; }

    /// <summary>How long an admission token stays valid after it is issued.</summary>
    public TimeSpan TokenLifetime { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>The decoded key; call only after validation.</summary>
    public byte[] SigningKeyBytes() => Convert.FromBase64String(SigningKey!);
}
