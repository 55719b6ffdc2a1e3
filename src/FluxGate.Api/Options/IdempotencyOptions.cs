using System.ComponentModel.DataAnnotations;

namespace FluxGate.Api.Options;

public sealed class IdempotencyOptions
{
    public const string Section = "Idempotency";

    /// <summary>How long a key is remembered (spec: 60 seconds).</summary>
    [Range(typeof(TimeSpan), "00:00:01", "7.00:00:00")]
    public TimeSpan Ttl { get; set; } = TimeSpan.FromSeconds(60);
}
