using System.Diagnostics.Metrics;
using System.Net;
using FluxGate.Api.Reconciliation;
using FluxGate.Api.Telemetry;
using FluxGate.Contracts;
using StackExchange.Redis;

namespace FluxGate.Api.Redis;

/// <summary>
/// Notices that another Redis master serves some hash slots (a failover, or a resharding) and then checks the books of
/// the products on those slots once they settle: a failover that lost writes the api acted on shows as books that
/// disagree (<see cref="InvariantCheck"/>), an alarm in the log and on <c>fluxgate.redis.books_after_failover</c>. The
/// replica acknowledgement and the confirm's heal are what keep them agreeing; this says so, or says they do not.
/// </summary>
/// <remarks>
/// It compares this client's own view of which master serves each slot, every two seconds and soon after the client reports
/// a change (a MOVED answer, a reconnect, a new cluster view: a killed master answers no MOVED), so it costs Redis
/// nothing until something moved.
/// </remarks>
public sealed partial class RedisFailoverWatch(
    IConnectionMultiplexer redis, InvariantCheck books, IMeterFactory meterFactory, ILogger<RedisFailoverWatch> logger) : BackgroundService
{
    private static readonly TimeSpan Look = TimeSpan.FromSeconds(2);

    /// <summary>How long the books of a moved product are read until they settle (its sale may still be going on).</summary>
    private static readonly TimeSpan CheckFor = TimeSpan.FromMinutes(5);
    private static readonly TimeSpan CheckEvery = TimeSpan.FromSeconds(2);

    private readonly Lazy<RedisKey[]> _slotKeys = new(() =>
        [.. Enumerable.Range(0, RedisHashSlot.Count).Select(slot => (RedisKey)$"{{{RedisHashSlot.TagOf(slot)}}}")]);
    private readonly Counter<long> _moves = meterFactory.Create(OrderMetrics.MeterName)
        .CreateCounter<long>("fluxgate.redis.slot_moves", "{slot}", "Hash slots another Redis master serves now (a failover or a resharding)");
    private readonly Counter<long> _checked = meterFactory.Create(OrderMetrics.MeterName)
        .CreateCounter<long>("fluxgate.redis.books_after_failover", "{product}", "Products whose books were checked after their master changed, by whether they hold");
    private readonly SemaphoreSlim _signal = new(0);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        EventHandler<HashSlotMovedEventArgs> moved = (_, _) => _signal.Release();
        EventHandler<EndPointEventArgs> changed = (_, _) => _signal.Release();
        EventHandler<ConnectionFailedEventArgs> restored = (_, _) => _signal.Release();
        redis.HashSlotMoved += moved;
        redis.ConfigurationChanged += changed;
        redis.ConnectionRestored += restored;
        try
        {
            EndPoint?[]? masters = null;
            while (!stoppingToken.IsCancellationRequested)
            {
                await _signal.WaitAsync(Look, stoppingToken);
                if (Masters() is not { } now)
                {
                    continue; // Redis unreachable: compared again once the client knows its masters
                }
                if (masters is not null)
                {
                    var movedSlots = Enumerable.Range(0, now.Length)
                        .Where(slot => masters[slot] is { } before && now[slot] is { } after && !before.Equals(after))
                        .ToHashSet();
                    if (movedSlots.Count > 0)
                    {
                        _moves.Add(movedSlots.Count);
                        LogMoved(movedSlots.Count, string.Join(", ", movedSlots.Select(slot => now[slot]!.ToString()).Distinct()));
                        _ = CheckBooksAsync(movedSlots, stoppingToken);
                    }
                }
                // A slot nobody serves in this client's view (mid-failover) keeps its last master until someone does.
                masters = masters is null ? now : [.. now.Select((master, slot) => master ?? masters[slot])];
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            redis.HashSlotMoved -= moved;
            redis.ConfigurationChanged -= changed;
            redis.ConnectionRestored -= restored;
        }
    }

    /// <summary>Which master this client would send each slot's commands to now (null in a slot: none known), or null
    /// when the client knows no master at all (Redis unreachable).</summary>
    private EndPoint?[]? Masters()
    {
        if (!redis.IsConnected)
        {
            return null;
        }
        var keys = _slotKeys.Value;
        var masters = new EndPoint?[keys.Length];
        try
        {
            for (var slot = 0; slot < keys.Length; slot++)
            {
                masters[slot] = redis.GetServer(keys[slot], flags: CommandFlags.DemandMaster)?.EndPoint;
            }
        }
        catch (Exception exception) when (exception is not OutOfMemoryException)
        {
            // The client's view is being rebuilt (a reconnect, a failover): look again next time. A watch never stops the api.
            LogViewUnreadable(exception.GetType().Name);
            return null;
        }
        return masters;
    }

    /// <summary>The books of the products on <paramref name="slots"/>, read until they settle or <see cref="CheckFor"/> passes.</summary>
    private async Task CheckBooksAsync(HashSet<int> slots, CancellationToken stoppingToken)
    {
        try
        {
            var deadline = DateTime.UtcNow + CheckFor;
            HashSet<string>? products = null;
            while (DateTime.UtcNow < deadline && products is not { Count: 0 })
            {
                await Task.Delay(CheckEvery, stoppingToken);
                try
                {
                    products ??= (await redis.GetDatabase().SetMembersAsync(RedisKeys.Products))
                        .Select(member => (string)member!)
                        .Where(bucket => slots.Contains(RedisHashSlot.Of(bucket)))
                        .Select(StockBuckets.ProductOf)
                        .ToHashSet();
                    foreach (var productId in products.ToList())
                    {
                        if (await books.CheckAsync(productId, stoppingToken) is not { } report)
                        {
                            products.Remove(productId);
                        }
                        else if (report.Holds || report.Settled)
                        {
                            products.Remove(productId);
                            _checked.Add(1, new KeyValuePair<string, object?>("holds", report.Holds));
                            if (report.Holds)
                            {
                                LogBooksHold(productId);
                            }
                            else
                            {
                                LogBooksDisagree(productId, string.Join(" ", report.Problems));
                            }
                        }
                    }
                }
                catch (Exception exception) when (exception is RedisException or TimeoutException or Npgsql.NpgsqlException)
                {
                    // Still failing over, or PostgreSQL away: read again on the next round.
                }
            }
            foreach (var productId in products ?? [])
            {
                LogNotSettled(productId, CheckFor.TotalMinutes);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    [LoggerMessage(LogLevel.Debug, "The Redis client's view of its masters could not be read ({Exception}); looking again shortly")]
    private partial void LogViewUnreadable(string exception);

    [LoggerMessage(LogLevel.Warning, "Another Redis master serves {Slots} hash slot(s) now ({Masters}): a failover or a resharding; checking the books of their products")]
    private partial void LogMoved(int slots, string masters);

    [LoggerMessage(LogLevel.Information, "The books of product {ProductId} hold after its slot moved: accepted = persisted = stock taken")]
    private partial void LogBooksHold(string productId);

    [LoggerMessage(LogLevel.Error, "The books of product {ProductId} disagree after its slot moved (Redis may have lost writes in a failover): {Problems}")]
    private partial void LogBooksDisagree(string productId, string problems);

    [LoggerMessage(LogLevel.Warning, "The books of product {ProductId} did not settle within {Minutes} min after its slot moved; GET /admin/invariants/{ProductId} tells more")]
    private partial void LogNotSettled(string productId, double minutes);
}
