namespace FluxGate.WaitingRoom.Options;

/// <summary>Configuration section <c>WaitingRoom</c>.</summary>
public sealed class WaitingRoomOptions
{
    public const string Section = "WaitingRoom";

    /// <summary>
    /// Tickets admitted per second and product. Unset: the API's <c>RateLimit:PermitsPerSecond</c>, else 50 in
    /// Development and 10,000 elsewhere (the API's own defaults), so the room lets people in as fast as the gate takes them.
    /// </summary>
    public double AdmissionRatePerSecond { get; set; }

    /// <summary>How long a shopper's (productId, userId, idempotency key) keeps its ticket for a rejoin.</summary>
    public TimeSpan TicketTtl { get; set; } = TimeSpan.FromHours(2);

    /// <summary>Shortest and longest delay the room asks a waiting page to leave between polls.</summary>
    public TimeSpan MinPollInterval { get; set; } = TimeSpan.FromMilliseconds(500);

    public TimeSpan MaxPollInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The API, reached server-side (service discovery name by default).</summary>
    public Uri ApiUrl { get; set; } = new("http://api");

    /// <summary>Time allowed for one order hand-off to the API.</summary>
    public TimeSpan ApiTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Hosts a shopper may be sent back to with an admission token (<c>returnUrl</c>). Anything else is refused,
    /// so the room is not an open redirect that hands tokens to a stranger's site.
    /// </summary>
    public string[] AllowedReturnHosts { get; set; } = ["localhost", "127.0.0.1"];
}
