using FluxGate.WaitingRoom.Queue;

namespace FluxGate.Tests.WaitingRoom;

public class QueueArithmeticTests
{
    [Theory]
    [InlineData(5, 4.999, false)]
    [InlineData(5, 5.0, true)]
    [InlineData(5, 5.7, true)]
    [InlineData(1, 0.0, false)]
    [InlineData(3, 10.0, true)]
    public void A_ticket_is_served_once_the_counter_reaches_it(long ticket, double serving, bool served)
    {
        Assert.Equal(served, QueueArithmetic.IsServed(ticket, serving));
    }

    [Theory]
    [InlineData(10, 4.5, 6, 5)]
    [InlineData(5, 4.0, 1, 0)]
    [InlineData(5, 5.0, 0, 0)]
    [InlineData(5, 9.0, 0, 0)]
    public void Position_counts_from_one_for_the_next_in_line_and_people_ahead_are_the_rest(
        long ticket, double serving, long position, long ahead)
    {
        Assert.Equal(position, QueueArithmetic.Position(ticket, serving));
        Assert.Equal(ahead, QueueArithmetic.PeopleAhead(ticket, serving));
    }

    [Fact]
    public void Estimated_wait_is_the_distance_to_the_counter_at_the_admission_rate()
    {
        Assert.Equal(TimeSpan.FromSeconds(2), QueueArithmetic.EstimatedWait(ticket: 120, serving: 20, ratePerSecond: 50));
        Assert.Equal(TimeSpan.FromSeconds(0.5), QueueArithmetic.EstimatedWait(ticket: 11, serving: 10.5, ratePerSecond: 1));
        Assert.Equal(TimeSpan.Zero, QueueArithmetic.EstimatedWait(ticket: 7, serving: 7.2, ratePerSecond: 1));
    }

    [Fact]
    public void Far_from_the_front_pages_poll_rarely_and_near_it_about_when_their_turn_comes()
    {
        var min = TimeSpan.FromMilliseconds(500);
        var max = TimeSpan.FromSeconds(30);

        Assert.Equal(max, QueueArithmetic.PollDelay(TimeSpan.FromHours(1), min, max));
        Assert.Equal(TimeSpan.FromSeconds(10), QueueArithmetic.PollDelay(TimeSpan.FromSeconds(30), min, max));
        Assert.Equal(TimeSpan.FromSeconds(1), QueueArithmetic.PollDelay(TimeSpan.FromSeconds(2), min, max));
        Assert.Equal(TimeSpan.FromMilliseconds(700), QueueArithmetic.PollDelay(TimeSpan.FromMilliseconds(700), min, max));
        Assert.Equal(min, QueueArithmetic.PollDelay(TimeSpan.FromMilliseconds(20), min, max));
    }

    [Fact]
    public void Poll_delays_never_shrink_as_the_wait_grows()
    {
        var min = TimeSpan.FromMilliseconds(500);
        var max = TimeSpan.FromSeconds(30);
        var previous = TimeSpan.Zero;
        for (var ms = 0; ms <= 200_000; ms += 50)
        {
            var delay = QueueArithmetic.PollDelay(TimeSpan.FromMilliseconds(ms), min, max);
            Assert.True(delay >= previous, $"delay for {ms} ms shrank to {delay} from {previous}");
            previous = delay;
        }
    }

    [Theory]
    [InlineData(0.0, 800)]
    [InlineData(0.5, 1000)]
    [InlineData(0.999999, 1200)]
    public void Jitter_spreads_a_delay_over_plus_or_minus_twenty_percent(double unitRandom, double expectedMs)
    {
        Assert.Equal(expectedMs, QueueArithmetic.Jitter(TimeSpan.FromSeconds(1), unitRandom).TotalMilliseconds, precision: 0);
    }

    [Theory]
    [InlineData(3, "a few seconds")]
    [InlineData(12, "about 15 seconds")]
    [InlineData(59, "about 60 seconds")]
    [InlineData(60, "about 1 minute")]
    [InlineData(61, "about 2 minutes")]
    [InlineData(3599, "about 1 hour")]
    [InlineData(7200, "about 2 hours")]
    [InlineData(4800, "about 1 h 20 min")]
    public void Waits_are_worded_for_people(double seconds, string expected)
    {
        Assert.Equal(expected, QueueArithmetic.DescribeWait(TimeSpan.FromSeconds(seconds)));
    }
}
