using System.ComponentModel.DataAnnotations;

namespace FluxGate.Clients;

/// <summary>
/// How many replicas must hold a script call's writes before the api acts on its answer (section
/// <c>Redis:ReplicaAcknowledgement</c>): Redis replicates asynchronously, and a master that fails over loses the writes
/// its replica had not received, a reservation among them (docs/FAILURE-MODES.md).
/// </summary>
public sealed class ReplicaAcknowledgementOptions
{
    public const string Section = "Redis:ReplicaAcknowledgement";

    /// <summary>
    /// Replicas that must acknowledge each call. Unset (the default): one, on every master that has or had a replica
    /// since the api started; none on a master without replicas (no failover can lose its writes). 0 turns the wait off.
    /// </summary>
    [Range(0, 5)]
    public int? Replicas { get; set; }

    /// <summary>How long a call waits for its replicas before its orders fail as a Redis fault (the spec's 500).</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:00:10")]
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(1);
}
