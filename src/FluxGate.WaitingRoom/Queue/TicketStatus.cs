namespace FluxGate.WaitingRoom.Queue;

public enum QueueState
{
    /// <summary>In a scheduled sale's pre-queue, before its start: the place is drawn at the start.</summary>
    Upcoming,

    /// <summary>In line; position and wait say how long.</summary>
    Waiting,

    /// <summary>The counter has reached the ticket: the shopper may be admitted.</summary>
    Served,

    /// <summary>The product's stock is gone: nobody in line can buy it.</summary>
    SoldOut,

    /// <summary>The product was never initialized (no stock key): there is nothing to queue for.</summary>
    NotOnSale,

    /// <summary>The ticket is beyond the last one issued: the queue was reset, so the shopper must join again.</summary>
    UnknownTicket,
}

/// <summary>Where one ticket stands, as computed from one script round trip.</summary>
public sealed record TicketStatus(
    QueueState State,
    string ProductId,
    long Ticket,
    long NowServing,
    long Position,
    long PeopleAhead,
    TimeSpan EstimatedWait,
    TimeSpan RetryAfter,
    bool Rejoined)
{
    /// <summary>The place in line: the ticket's number, or for one taken in a pre-queue the place drawn at the start.</summary>
    public long Place { get; init; } = Ticket;

    /// <summary>A scheduled sale's start; set before it (<see cref="QueueState.Upcoming"/>).</summary>
    public DateTimeOffset? StartsAt { get; init; }

    /// <summary>Before the start: how many wait in the pre-queue.</summary>
    public long PreQueue { get; init; }

    /// <summary>Derives a ticket's standing from the counters the script read; <paramref name="place"/> is where it stands.</summary>
    public static TicketStatus From(
        string productId, long ticket, long place, double serving, long issued, double ratePerSecond, bool rejoined,
        TimeSpan minPoll, TimeSpan maxPoll)
    {
        if (ticket > issued)
        {
            return new(QueueState.UnknownTicket, productId, ticket, QueueArithmetic.NowServing(serving), 0, 0,
                TimeSpan.Zero, TimeSpan.Zero, rejoined);
        }

        var wait = QueueArithmetic.EstimatedWait(place, serving, ratePerSecond);
        var served = QueueArithmetic.IsServed(place, serving);
        return new(
            served ? QueueState.Served : QueueState.Waiting,
            productId,
            ticket,
            QueueArithmetic.NowServing(serving),
            QueueArithmetic.Position(place, serving),
            QueueArithmetic.PeopleAhead(place, serving),
            wait,
            served ? TimeSpan.Zero : QueueArithmetic.PollDelay(wait, minPoll, maxPoll),
            rejoined) { Place = place };
    }

    /// <summary>
    /// Before the start: no place yet. Ask again at the start (a little after it, spread so that the pre-queue does not ask
    /// all at once), or within <paramref name="maxPoll"/>.
    /// </summary>
    public static TicketStatus Upcoming(string productId, long ticket, long preQueue, DateTimeOffset startsAt, bool rejoined, TimeSpan maxPoll)
    {
        var untilStart = startsAt - DateTimeOffset.UtcNow;
        var retry = untilStart > maxPoll ? maxPoll : untilStart + TimeSpan.FromMilliseconds(Random.Shared.Next(50, 1_000));
        retry = retry < TimeSpan.FromMilliseconds(100) ? TimeSpan.FromMilliseconds(100) : retry; // our clock may run ahead of Redis's
        return new(QueueState.Upcoming, productId, ticket, 0, 0, 0, TimeSpan.Zero, retry, rejoined)
        {
            StartsAt = startsAt,
            PreQueue = preQueue,
        };
    }

    public static TicketStatus Closed(QueueState state, string productId, long ticket, double serving, bool rejoined) =>
        new(state, productId, ticket, QueueArithmetic.NowServing(serving), 0, 0, TimeSpan.Zero, TimeSpan.Zero, rejoined);
}
