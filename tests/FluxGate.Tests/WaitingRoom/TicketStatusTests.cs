using FluxGate.WaitingRoom.Queue;

namespace FluxGate.Tests.WaitingRoom;

public class TicketStatusTests
{
    private static readonly TimeSpan Min = TimeSpan.FromMilliseconds(500);
    private static readonly TimeSpan Max = TimeSpan.FromSeconds(30);

    [Fact]
    public void A_waiting_ticket_reports_position_people_ahead_wait_and_when_to_ask_again()
    {
        var status = TicketStatus.From("ps5", ticket: 150, place: 150, serving: 100.5, issued: 200, ratePerSecond: 10, rejoined: false, Min, Max);

        Assert.Equal(QueueState.Waiting, status.State);
        Assert.Equal(100, status.NowServing);
        Assert.Equal(50, status.Position);
        Assert.Equal(49, status.PeopleAhead);
        Assert.Equal(TimeSpan.FromSeconds(4.95), status.EstimatedWait);
        Assert.Equal(TimeSpan.FromSeconds(1.65), status.RetryAfter);
    }

    [Fact]
    public void A_reached_ticket_is_served_with_nothing_left_to_wait()
    {
        var status = TicketStatus.From("ps5", ticket: 100, place: 100, serving: 100.5, issued: 200, ratePerSecond: 10, rejoined: true, Min, Max);

        Assert.Equal(QueueState.Served, status.State);
        Assert.Equal(0, status.Position);
        Assert.Equal(TimeSpan.Zero, status.EstimatedWait);
        Assert.Equal(TimeSpan.Zero, status.RetryAfter);
        Assert.True(status.Rejoined);
    }

    [Fact]
    public void A_ticket_beyond_the_last_issued_is_unknown_because_the_line_was_reset()
    {
        var status = TicketStatus.From("ps5", ticket: 7, place: 7, serving: 2, issued: 3, ratePerSecond: 10, rejoined: false, Min, Max);

        Assert.Equal(QueueState.UnknownTicket, status.State);
    }
}
