using System.ComponentModel.DataAnnotations;

namespace FluxGate.Api.Options;

/// <summary>The reconciler and the admin restore (section <c>Reconciliation</c>).</summary>
public sealed class ReconciliationOptions
{
    public const string Section = "Reconciliation";

    /// <summary>How often the reconciler looks at the records the api keeps until PostgreSQL has each order.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:10:00")]
    public TimeSpan Interval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Margin after Kafka's delivery timeout before a reservation nobody confirmed or undid (the api stopped in
    /// between) is resolved: its produce has certainly ended by then.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "01:00:00")]
    public TimeSpan InFlightGrace { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// How long an unresolved "in progress" key outlives its idempotency TTL: long enough for the reconciler to
    /// resolve it (it needs a running api and a persister that has caught up), so a retry never orders twice.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "7.00:00:00")]
    public TimeSpan InFlightHold { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Accepted records younger than this are not looked up yet: the persister normally lands them sooner.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:10:00")]
    public TimeSpan MinimumAge { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Records looked up in PostgreSQL per query.</summary>
    [Range(1, 100_000)]
    public int BatchSize { get; set; } = 5000;

    /// <summary>How long <c>POST /admin/restore</c> waits for the persister to catch up with Kafka before it answers 503.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:05:00")]
    public TimeSpan RestoreDrainTimeout { get; set; } = TimeSpan.FromSeconds(15);
}
