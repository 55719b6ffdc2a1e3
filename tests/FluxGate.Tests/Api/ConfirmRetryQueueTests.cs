using FluxGate.Api.Orders;
using FluxGate.Contracts;
using FluxGate.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;
using StackExchange.Redis;

namespace FluxGate.Tests.Api;

/// <summary>The confirm step of an order Kafka has, when Redis does not take it: never an error, retried until it lands.</summary>
public sealed class ConfirmRetryQueueTests
{
    private static readonly OrderAccepted Order = new(Guid.CreateVersion7(), "p-1", "user-1", "key-1", DateTimeOffset.UtcNow);

    private static RedisTimeoutException Stalled() => new(CommandFlags.None, "Timeout awaiting response (timeout is 5000ms), command=EVALSHA", CommandStatus.Sent);

    [Fact]
    public async Task A_confirm_redis_times_out_is_retried_in_the_background_until_it_lands()
    {
        var calls = 0;
        var queue = new ConfirmRetryQueue((_, _) => ++calls <= 3 ? Task.FromException<ConfirmOutcome>(Stalled()) : Task.FromResult(ConfirmOutcome.Confirmed),
            TimeProvider.System, NullLogger<ConfirmRetryQueue>.Instance);

        await queue.ConfirmAsync(Order); // does not throw: the shopper is answered 200 all the same
        Assert.Equal(1, queue.Pending);

        await queue.StartAsync(CancellationToken.None);
        try
        {
            await Eventually.UntilAsync(() => Task.FromResult(queue.Pending), pending => pending == 0, "the confirm landed",
                TimeSpan.FromSeconds(10));
            Assert.Equal(4, calls);
        }
        finally
        {
            await queue.StopAsync(CancellationToken.None);
        }
    }

    [Fact]
    public async Task A_confirm_that_lands_at_once_is_not_queued()
    {
        var calls = 0;
        var queue = new ConfirmRetryQueue((_, _) => { calls++; return Task.FromResult(ConfirmOutcome.Confirmed); }, TimeProvider.System, NullLogger<ConfirmRetryQueue>.Instance);

        await queue.ConfirmAsync(Order);

        Assert.Equal(0, queue.Pending);
        Assert.Equal(1, calls);
    }

    [Fact]
    public async Task Retries_are_bounded()
    {
        var clock = new ShiftedClock();
        var calls = 0;
        var queue = new ConfirmRetryQueue((_, _) => { calls++; return Task.FromException<ConfirmOutcome>(Stalled()); }, clock, NullLogger<ConfirmRetryQueue>.Instance);

        await queue.ConfirmAsync(Order);
        clock.Shift = ConfirmRetryQueue.RetryFor + TimeSpan.FromSeconds(1);
        await queue.StartAsync(CancellationToken.None);
        try
        {
            await Eventually.UntilAsync(() => Task.FromResult(queue.Pending), pending => pending == 0, "the retry gave up",
                TimeSpan.FromSeconds(10));
            var callsWhenGivenUp = calls;
            await Task.Delay(500);
            Assert.Equal(callsWhenGivenUp, calls);
        }
        finally
        {
            await queue.StopAsync(CancellationToken.None);
        }
    }

    /// <summary>The system clock moved forward by <see cref="Shift"/>; timers are the system's.</summary>
    private sealed class ShiftedClock : TimeProvider
    {
        public TimeSpan Shift { get; set; }

        public override DateTimeOffset GetUtcNow() => base.GetUtcNow() + Shift;
    }
}
