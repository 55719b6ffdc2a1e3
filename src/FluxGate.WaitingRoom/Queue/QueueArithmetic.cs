namespace FluxGate.WaitingRoom.Queue;

/// <summary>
/// The arithmetic of a FIFO queue whose "now serving" counter moves continuously at a fixed rate.
/// <c>serving</c> is fractional (the counter advances a little with every microsecond of the Redis clock);
/// ticket <c>t</c> is served once <c>floor(serving) ≥ t</c>.
/// </summary>
public static class QueueArithmetic
{
    public static long NowServing(double serving) => (long)Math.Floor(serving);

    public static bool IsServed(long ticket, double serving) => ticket <= NowServing(serving);

    /// <summary>1 = next in line; 0 once served.</summary>
    public static long Position(long ticket, double serving) => Math.Max(0, ticket - NowServing(serving));

    public static long PeopleAhead(long ticket, double serving) => Math.Max(0, Position(ticket, serving) - 1);

    /// <summary>Time until the counter reaches the ticket at the admission rate.</summary>
    public static TimeSpan EstimatedWait(long ticket, double serving, double ratePerSecond) =>
        IsServed(ticket, serving) ? TimeSpan.Zero : TimeSpan.FromSeconds((ticket - serving) / ratePerSecond);

    /// <summary>
    /// When a waiting page should ask again: about a third of the remaining wait (so the load of a long queue is
    /// spread thin), but never later than the turn itself when it is near, within [min, max].
    /// </summary>
    public static TimeSpan PollDelay(TimeSpan estimatedWait, TimeSpan min, TimeSpan max)
    {
        var near = estimatedWait < TimeSpan.FromSeconds(1) ? estimatedWait : TimeSpan.FromSeconds(1);
        var delay = estimatedWait / 3 > near ? estimatedWait / 3 : near;
        return delay < min ? min : delay > max ? max : delay;
    }

    /// <summary>
    /// Spreads a delay over ±20% so that pages which started together do not poll together
    /// (<paramref name="unitRandom"/> in [0, 1)).
    /// </summary>
    public static TimeSpan Jitter(TimeSpan delay, double unitRandom) => delay * (0.8 + 0.4 * unitRandom);

    /// <summary>Human wording of a wait, e.g. "about 40 seconds", "about 3 minutes", "about 1 h 20 min".</summary>
    public static string DescribeWait(TimeSpan wait)
    {
        if (wait < TimeSpan.FromSeconds(10))
        {
            return "a few seconds";
        }
        if (wait < TimeSpan.FromSeconds(60))
        {
            return $"about {(int)(Math.Ceiling(wait.TotalSeconds / 5) * 5)} seconds";
        }
        var minutes = (int)Math.Ceiling(wait.TotalMinutes);
        if (minutes < 60)
        {
            return minutes == 1 ? "about 1 minute" : $"about {minutes} minutes";
        }
        var hours = minutes / 60;
        return minutes % 60 != 0 ? $"about {hours} h {minutes % 60} min" : hours == 1 ? "about 1 hour" : $"about {hours} hours";
    }
}
