namespace FluxGate.WaitingRoom.Queue;

public enum QueueState
{
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
    /// <summary>Derives a ticket's standing from the counters the script read.</summary>
    public static TicketStatus From(
        string productId, long ticket, double serving, long issued, double ratePerSecond, bool rejoined,
        TimeSpan minPoll, TimeSpan maxPoll)
    {
        if (ticket > issued)
        {
            return new(QueueState.UnknownTicket, productId, ticket, QueueArithmetic.NowServing(serving), 0, 0,
                TimeSpan.Zero, TimeSpan.Zero, rejoined);
        }

        var wait = QueueArithmetic.EstimatedWait(ticket, serving, ratePerSecond);
        var served = QueueArithmetic.IsServed(ticket, serving);
        return new(
            served ? QueueState.Served : QueueState.Waiting,
            productId,
            ticket,
            QueueArithmetic.NowServing(serving),
            QueueArithmetic.Position(ticket, serving),
            QueueArithmetic.PeopleAhead(ticket, serving),
            wait,
            served ? TimeSpan.Zero : QueueArithmetic.PollDelay(wait, minPoll, maxPoll),
            rejoined);
    }

    public static TicketStatus Closed(QueueState state, string productId, long ticket, double serving, bool rejoined) =>
        new(state, productId, ticket, QueueArithmetic.NowServing(serving), 0, 0, TimeSpan.Zero, TimeSpan.Zero, rejoined);
}
