using System.Collections.Concurrent;
using System.Threading.Channels;
using FluxGate.Api.Orders;
using FluxGate.Contracts;
using StackExchange.Redis;

namespace FluxGate.Api.Events;

/// <summary>
/// Real-time stock for WebSocket subscribers. One loop per process reads every watched product's stock once a tick
/// and pushes only changes, so a million watchers cost Redis the same as one.
/// </summary>
public sealed partial class InventoryFeed(StockBucketMap bucketMap, ILogger<InventoryFeed> logger) : BackgroundService
{
    public static readonly TimeSpan Tick = TimeSpan.FromMilliseconds(250);

    /// <summary>The longest pause between polls while Redis keeps failing.</summary>
    public static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(2);

    private readonly ConcurrentDictionary<string, Watch> _watches = new();
    private readonly Lock _membership = new(); // joins and leaves; the poll loop only reads

    /// <summary>Starts watching; the first update of each product (a snapshot) arrives at once.</summary>
    public async Task<Subscription> SubscribeAsync(IReadOnlyList<string> productIds)
    {
        var subscription = new Subscription(this, productIds);
        lock (_membership)
        {
            foreach (var productId in productIds)
            {
                _watches.GetOrAdd(productId, _ => new Watch()).Subscribers.TryAdd(subscription, 0);
            }
        }
        ProductSale[] stocks;
        try
        {
            stocks = await ReadSalesAsync(productIds);
        }
        catch
        {
            Unsubscribe(subscription);
            throw;
        }
        for (var i = 0; i < productIds.Count; i++)
        {
            subscription.Publish(InventoryUpdate.Of(productIds[i], stocks[i]));
            if (_watches.TryGetValue(productIds[i], out var watch) && !watch.HasLast)
            {
                // Changes from this snapshot on are the poll loop's to publish.
                watch.Last = stocks[i];
                watch.HasLast = true;
            }
        }
        return subscription;
    }

    private void Unsubscribe(Subscription subscription)
    {
        lock (_membership)
        {
            foreach (var productId in subscription.ProductIds)
            {
                if (_watches.TryGetValue(productId, out var watch))
                {
                    watch.Subscribers.TryRemove(subscription, out _);
                    if (watch.Subscribers.IsEmpty)
                    {
                        _watches.TryRemove(productId, out _);
                    }
                }
            }
        }
    }

    /// <summary>
    /// Polls until the host stops. Whatever a poll throws (a Redis timeout or outage above all) is logged and the loop
    /// goes on, backing off to <see cref="MaxBackoff"/> while Redis keeps failing; watchers get the changes once it answers.
    /// </summary>
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Tick);
        var failures = 0;
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            var watched = _watches.ToArray();
            if (watched.Length == 0)
            {
                continue;
            }
            try
            {
                var stocks = await ReadSalesAsync(watched.Select(pair => pair.Key).ToList());
                for (var i = 0; i < watched.Length; i++)
                {
                    var (productId, watch) = watched[i];
                    var stock = stocks[i];
                    if (watch.HasLast && watch.Last == stock)
                    {
                        continue;
                    }
                    var publishNow = watch.HasLast;
                    watch.Last = stock;
                    watch.HasLast = true;
                    if (!publishNow)
                    {
                        continue; // subscribers got their snapshot when they subscribed
                    }
                    var update = InventoryUpdate.Of(productId, stock);
                    foreach (var subscriber in watch.Subscribers.Keys)
                    {
                        subscriber.Publish(update);
                    }
                }
            }
            catch (Exception exception) when (!stoppingToken.IsCancellationRequested)
            {
                failures++;
                if (failures == 1)
                {
                    LogPollFailed(logger, exception);
                }
                await Task.Delay(Backoff(failures), stoppingToken);
                continue;
            }
            if (failures > 0)
            {
                LogPollRecovered(logger, failures);
                failures = 0;
            }
        }
    }

    /// <summary>
    /// Each product's stock (the sum of its stock buckets) and start, pipelined on the one connection: products and buckets
    /// live in different hash slots, so on a cluster one MGET over several of them is refused.
    /// </summary>
    private Task<ProductSale[]> ReadSalesAsync(IReadOnlyList<string> productIds) =>
        Task.WhenAll(productIds.Select(bucketMap.ReadSaleAsync));

    private static TimeSpan Backoff(int failures) =>
        TimeSpan.FromMilliseconds(Math.Min(MaxBackoff.TotalMilliseconds, Tick.TotalMilliseconds * Math.Pow(2, Math.Min(failures, 10) - 1)));

    [LoggerMessage(LogLevel.Warning, "Inventory feed could not read stock from Redis; backing off and retrying")]
    private static partial void LogPollFailed(ILogger logger, Exception exception);

    [LoggerMessage(LogLevel.Information, "Inventory feed reads Redis again after {Failures} failed polls")]
    private static partial void LogPollRecovered(ILogger logger, int failures);

    private sealed class Watch
    {
        public ConcurrentDictionary<Subscription, byte> Subscribers { get; } = new();
        public ProductSale Last { get; set; }
        public bool HasLast { get; set; }
    }

    public sealed class Subscription(InventoryFeed feed, IReadOnlyList<string> productIds) : IDisposable
    {
        // A slow client must not hold memory or the loop: it skips to the newest updates.
        private readonly Channel<InventoryUpdate> _updates = Channel.CreateBounded<InventoryUpdate>(
            new BoundedChannelOptions(64) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true });

        public IReadOnlyList<string> ProductIds { get; } = productIds;

        public ChannelReader<InventoryUpdate> Updates => _updates.Reader;

        internal void Publish(InventoryUpdate update) => _updates.Writer.TryWrite(update);

        public void Dispose()
        {
            feed.Unsubscribe(this);
            _updates.Writer.TryComplete();
        }
    }
}
