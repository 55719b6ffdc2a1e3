using System.Threading.Channels;
using FluxGate.Api.Telemetry;
using FluxGate.Contracts;

namespace FluxGate.Api.Orders;

/// <summary>
/// The confirm step of orders Kafka has: the shopper is answered 200 whatever Redis does, so a confirm Redis cannot
/// take now (a timeout, an outage) is retried here in the background until it lands. Until then the key answers
/// "in progress" (never a second order: until its confirm, the key outlives its TTL by <c>Reconciliation:InFlightHold</c>), and a
/// retry with the same key learns the original order id as soon as the confirm lands.
/// </summary>
/// <remarks>
/// Bounded: <see cref="RetryFor"/> is far longer than a Redis stall of tens of seconds; past it, or if the api stops
/// first, the reconciler resolves the reservation from PostgreSQL. A queue of its own, not a Polly retry per confirm: the
/// confirms that wait are retried together, in rounds, each with its own deadline, so an outage costs one timer, not one
/// pending retry per order.
/// </remarks>
public sealed partial class ConfirmRetryQueue : BackgroundService
{
    public static readonly TimeSpan RetryFor = TimeSpan.FromMinutes(5);
    private static readonly TimeSpan FirstDelay = TimeSpan.FromMilliseconds(200);
    private static readonly TimeSpan MaxDelay = TimeSpan.FromSeconds(5);
    private const int Capacity = 100_000;
    private const int ConcurrentConfirms = 1_000;

    private readonly Channel<Deferred> _deferred = Channel.CreateBounded<Deferred>(
        new BoundedChannelOptions(Capacity) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
    private readonly Func<OrderAccepted, string?, Task<ConfirmOutcome>> _confirm;
    private readonly TimeProvider _time;
    private readonly ILogger<ConfirmRetryQueue> _logger;
    private readonly OrderMetrics? _metrics;
    private int _pending;

    public ConfirmRetryQueue(OrderGate gate, TimeProvider time, ILogger<ConfirmRetryQueue> logger, OrderMetrics metrics)
        : this(gate.ConfirmAsync, time, logger, metrics)
    {
    }

    /// <summary>With a confirm step of the test's own (one that fails as Redis would).</summary>
    internal ConfirmRetryQueue(Func<OrderAccepted, string?, Task<ConfirmOutcome>> confirm, TimeProvider time, ILogger<ConfirmRetryQueue> logger, OrderMetrics? metrics = null)
    {
        _confirm = confirm;
        _time = time;
        _logger = logger;
        _metrics = metrics;
    }

    /// <summary>Confirms waiting for Redis.</summary>
    public int Pending => Volatile.Read(ref _pending);

    /// <summary>Marks the order's key accepted now or, when Redis fails, in the background. Never throws.</summary>
    /// <param name="bucket">The stock bucket that decided it.</param>
    public async Task ConfirmAsync(OrderAccepted order, string? bucket = null)
    {
        try
        {
            Report(order, await _confirm(order, bucket).ConfigureAwait(false));
        }
        catch (Exception exception)
        {
            Defer(order, bucket, exception);
        }
    }

    /// <summary>A lost reservation is an alarm: Redis dropped writes it had answered, which only a failover to a replica
    /// that lacked them does (the api waits for a replica to hold each reservation, so this means one was missed).</summary>
    private void Report(OrderAccepted order, ConfirmOutcome outcome)
    {
        if (outcome is ConfirmOutcome.LostAndHealed or ConfirmOutcome.LostNotHealable)
        {
            var healed = outcome == ConfirmOutcome.LostAndHealed;
            _metrics?.RecordLostReservation(healed);
            LogLostReservation(_logger, order.OrderId, order.ProductId, order.IdempotencyKey,
                healed ? "healed: the order took a unit again and its key answers it" : "NOT healable: its unit or its key went to another order meanwhile (counted in the ledger as oversold / keysReused)");
        }
    }

    private void Defer(OrderAccepted order, string? bucket, Exception exception)
    {
        Interlocked.Increment(ref _pending); // before the loop can see it
        if (_deferred.Writer.TryWrite(new Deferred(order, bucket, _time.GetUtcNow() + RetryFor)))
        {
            LogDeferred(_logger, order.OrderId, order.ProductId, exception);
        }
        else
        {
            Interlocked.Decrement(ref _pending);
            LogNotDeferred(_logger, order.OrderId, order.ProductId, exception);
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        List<Deferred> waiting = [];
        var round = 0;
        try
        {
            while (true)
            {
                if (waiting.Count == 0)
                {
                    await _deferred.Reader.WaitToReadAsync(stoppingToken);
                    round = 0;
                }
                await Task.Delay(Delay(round++), _time, stoppingToken);
                while (_deferred.Reader.TryRead(out var next))
                {
                    waiting.Add(next);
                }
                waiting = await RetryAsync(waiting);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            if (Pending > 0)
            {
                LogLeftAtStop(_logger, Pending);
            }
        }
    }

    private async Task<List<Deferred>> RetryAsync(List<Deferred> waiting)
    {
        var now = _time.GetUtcNow();
        List<Deferred> still = [];
        var landed = 0;
        foreach (var chunk in waiting.Chunk(ConcurrentConfirms))
        {
            var results = await Task.WhenAll(chunk.Select(TryConfirmAsync));
            for (var i = 0; i < chunk.Length; i++)
            {
                if (results[i])
                {
                    landed++;
                }
                else if (now >= chunk[i].GiveUpAt)
                {
                    LogGaveUp(_logger, chunk[i].Order.OrderId, chunk[i].Order.ProductId, RetryFor.TotalSeconds);
                }
                else
                {
                    still.Add(chunk[i]);
                }
            }
        }
        Interlocked.Add(ref _pending, still.Count - waiting.Count);
        if (landed > 0)
        {
            LogLanded(_logger, landed, still.Count);
        }
        return still;
    }

    private async Task<bool> TryConfirmAsync(Deferred deferred)
    {
        try
        {
            Report(deferred.Order, await _confirm(deferred.Order, deferred.Bucket).ConfigureAwait(false));
            return true;
        }
        catch (Exception)
        {
            return false; // logged when deferred, and when given up
        }
    }

    private static TimeSpan Delay(int round) =>
        TimeSpan.FromMilliseconds(Math.Min(MaxDelay.TotalMilliseconds, FirstDelay.TotalMilliseconds * Math.Pow(2, Math.Min(round, 10))));

    private readonly record struct Deferred(OrderAccepted Order, string? Bucket, DateTimeOffset GiveUpAt);

    [LoggerMessage(LogLevel.Error, "Redis had lost the reservation of order {OrderId} of product {ProductId} (key {IdempotencyKey}), which Kafka has: {Result}")]
    private static partial void LogLostReservation(ILogger logger, Guid orderId, string productId, string idempotencyKey, string result);

    [LoggerMessage(LogLevel.Warning, "Order {OrderId} of product {ProductId} is in Kafka (accepted) but Redis did not take its confirm; retrying in the background")]
    private static partial void LogDeferred(ILogger logger, Guid orderId, string productId, Exception exception);

    [LoggerMessage(LogLevel.Error, "Order {OrderId} of product {ProductId} is in Kafka (accepted) but Redis did not take its confirm and the retry queue is full; the reconciler resolves it")]
    private static partial void LogNotDeferred(ILogger logger, Guid orderId, string productId, Exception exception);

    [LoggerMessage(LogLevel.Information, "{Landed} deferred confirms landed; {Waiting} still waiting for Redis")]
    private static partial void LogLanded(ILogger logger, int landed, int waiting);

    [LoggerMessage(LogLevel.Error, "Gave up confirming order {OrderId} of product {ProductId} after {Seconds:0} s; the reconciler resolves it")]
    private static partial void LogGaveUp(ILogger logger, Guid orderId, string productId, double seconds);

    [LoggerMessage(LogLevel.Warning, "Stopping with {Count} confirms still waiting for Redis; the reconciler resolves them")]
    private static partial void LogLeftAtStop(ILogger logger, int count);
}
