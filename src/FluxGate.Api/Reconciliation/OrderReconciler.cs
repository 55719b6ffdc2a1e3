using FluxGate.Api.Kafka;
using FluxGate.Api.Options;
using FluxGate.Api.Orders;
using FluxGate.Api.Redis;
using FluxGate.Storage;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace FluxGate.Api.Reconciliation;

/// <summary>
/// Keeps every acknowledged order recoverable until PostgreSQL has it, and recovers it when the Kafka log lost it.
/// Each pass, per product, for what Kafka acknowledged before the persister's last catch-up point: drops the records of
/// events PostgreSQL has; produces again the events it still lacks (lost from the log, not merely queued); and resolves reservations
/// nobody confirmed or undid (the api stopped between Kafka and the answer): the order in PostgreSQL → its key is
/// marked accepted, else the unit goes back and the key is forgotten. It also completes the moves of units between a
/// product's stock buckets that an api started and did not finish. A product split over stock buckets is walked bucket by
/// bucket: each bucket's tag is in the registry, and each order lives in one bucket.
/// </summary>
/// <remarks>
/// Every step is idempotent (the persister drops a repeated order by id; the scripts act only on a record still
/// there), so several api instances are safe; a short Redis lease keeps them from doing the same work twice.
/// </remarks>
public sealed partial class OrderReconciler(
    IConnectionMultiplexer redis,
    GateScripts scripts,
    PersisterProgress progress,
    OrderStore store,
    OrderEventProducer producer,
    ReconciliationMetrics metrics,
    IOptions<ReconciliationOptions> options,
    IOptions<IdempotencyOptions> idempotency,
    IOptions<KafkaProducerOptions> kafka,
    StockBucketMap bucketMap,
    ILogger<OrderReconciler> logger) : BackgroundService
{
    private const int MaxSamples = 3600;
    private const int MaxBatchesPerPass = 20;
    private const int ChunkSize = 500;
    private readonly IDatabase _redis = redis.GetDatabase();
    private readonly ReconciliationOptions _options = options.Value;
    private readonly RedisValue _idempotencyTtlMs = (long)idempotency.Value.Ttl.TotalMilliseconds;
    private readonly long _settleMs = (long)(kafka.Value.DeliveryTimeout + options.Value.InFlightGrace).TotalMilliseconds;
    private readonly string _instance = $"{Environment.MachineName}:{Environment.ProcessId}:{Guid.NewGuid():N}";
    private readonly Queue<KafkaEnds> _samples = new();
    private long? _drainedAsOf;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(_options.Interval);
        var failures = 0;
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await PassAsync(stoppingToken);
                if (failures > 0)
                {
                    LogPassRecovered(failures);
                }
                failures = 0;
            }
            catch (Exception exception) when (!stoppingToken.IsCancellationRequested)
            {
                // Redis, Kafka or PostgreSQL down: nothing is lost by waiting; the records stay until a pass succeeds.
                if (failures++ % 60 == 0)
                {
                    LogPassFailed(exception, failures);
                }
            }
        }
    }

    /// <summary>One pass over the records hashes of the registered products; does nothing while another api instance holds the lease.</summary>
    public async Task PassAsync(CancellationToken cancellationToken)
    {
        if (!await HoldLeaseAsync())
        {
            return;
        }
        var now = await RedisClock.NowMsAsync(_redis);
        var drainedAsOf = await DrainedAsOfAsync(cancellationToken);
        if (drainedAsOf is null)
        {
            return; // nothing can be decided before the persister's first catch-up point
        }
        // One pipelined round of counts, so that the many products with nothing to do cost almost nothing.
        var buckets = (await _redis.SetMembersAsync(RedisKeys.Products)).Select(member => (string)member!).ToList();
        var slots = buckets.Select(RedisHashSlot.Of).Distinct().ToList();
        var transfers = await Task.WhenAll(buckets.Select(bucket => _redis.HashLengthAsync(RedisKeys.Transfers(bucket))));
        var records = await Task.WhenAll(slots.Select(slot => _redis.HashLengthAsync(OrderRecords.Key(slot))));
        for (var i = 0; i < buckets.Count; i++)
        {
            if (transfers[i] > 0)
            {
                await CompleteTransfersAsync(buckets[i], now);
            }
        }
        for (var i = 0; i < slots.Count; i++)
        {
            if (records[i] > 0)
            {
                await SettleAsync(OrderRecords.Key(slots[i]), now, drainedAsOf.Value, cancellationToken);
            }
        }
    }

    private async Task<bool> HoldLeaseAsync()
    {
        var lease = TimeSpan.FromTicks(Math.Max(_options.Interval.Ticks * 3, TimeSpan.FromSeconds(3).Ticks));
        if (await _redis.StringSetAsync(RedisKeys.ReconcilerLease, _instance, lease, When.NotExists))
        {
            return true;
        }
        return (string?)await _redis.StringGetAsync(RedisKeys.ReconcilerLease) == _instance
               && await _redis.KeyExpireAsync(RedisKeys.ReconcilerLease, lease);
    }

    /// <summary>
    /// The latest Redis time T such that PostgreSQL has applied everything Kafka held at T (null: not known yet). Each pass
    /// reads Kafka's ends; a later pass finds which of those the persister has reached.
    /// </summary>
    private async Task<long?> DrainedAsOfAsync(CancellationToken cancellationToken)
    {
        try
        {
            _samples.Enqueue(await progress.ReadEndsAsync(cancellationToken));
        }
        catch (Confluent.Kafka.KafkaException exception)
        {
            // Settling what PostgreSQL has goes on; what needs a catch-up point waits for Kafka to answer.
            LogKafkaUnreadable(exception.Error.Code, exception.Error.Reason);
        }
        var applied = await progress.ReadAppliedAsync(cancellationToken);
        while (_samples.TryPeek(out var oldest) && PersisterProgress.Behind(applied, oldest) == 0)
        {
            _drainedAsOf = _samples.Dequeue().AtMs;
        }
        while (_samples.Count > MaxSamples)
        {
            _samples.Dequeue();
        }
        return _drainedAsOf;
    }

    /// <summary>
    /// The records of one slot old enough to judge, with one PostgreSQL look-up for all of them. An event acknowledged
    /// before the catch-up point is in PostgreSQL (its record goes) or was lost from the log (produced again). A
    /// reservation made long enough before it that its produce had ended was never confirmed nor undone (the api stopped
    /// in between): its order in PostgreSQL means accepted, else the unit goes back. Later records are left alone, so a
    /// persister that is down or behind costs no look-ups.
    /// </summary>
    private async Task SettleAsync(RedisKey key, long now, long drained, CancellationToken cancellationToken)
    {
        var eventsBefore = Math.Min(now - (long)_options.MinimumAge.TotalMilliseconds, drained - 1);
        List<(RedisValue Field, RecordPeek Record)> events = [];
        List<InFlightReservation> stale = [];
        List<RedisValue> unreadable = [];
        var judged = 0;
        // Small pages and chunks: every array a pass allocates stays out of the large object heap (whose collections
        // are gen-2 collections of the whole api).
        await foreach (var entry in _redis.HashScanAsync(key, pageSize: ChunkSize))
        {
            if (!OrderRecords.TryPeek(entry, out var record))
            {
                unreadable.Add(entry.Name);
            }
            else if (!record.IsReservation && record.AtMs <= eventsBefore)
            {
                events.Add((entry.Name, record));
            }
            else if (record.IsReservation && record.AtMs + _settleMs < drained)
            {
                if (OrderRecords.Parse(entry) is InFlightReservation reservation)
                {
                    stale.Add(reservation);
                }
                else
                {
                    unreadable.Add(entry.Name);
                }
            }
            if (events.Count + stale.Count + unreadable.Count >= ChunkSize)
            {
                judged += events.Count + stale.Count;
                await SettleChunkAsync(key, events, stale, unreadable, now, cancellationToken);
                if (judged >= _options.BatchSize * MaxBatchesPerPass)
                {
                    return; // the rest next pass
                }
            }
        }
        await SettleChunkAsync(key, events, stale, unreadable, now, cancellationToken);
    }

    /// <summary>One PostgreSQL look-up for a chunk of records, then each settled; the lists are emptied for the next chunk.</summary>
    private async Task SettleChunkAsync(RedisKey key, List<(RedisValue Field, RecordPeek Record)> events, List<InFlightReservation> stale,
        List<RedisValue> unreadable, long now, CancellationToken cancellationToken)
    {
        if (unreadable.Count > 0)
        {
            await _redis.HashDeleteAsync(key, unreadable.ToArray());
            unreadable.Clear();
        }
        if (events.Count + stale.Count == 0)
        {
            return;
        }
        var statuses = await store.StatusesAsync(
            events.Select(e => e.Record.OrderId).Concat(stale.Select(reservation => reservation.OrderId)).Distinct().ToList(), cancellationToken);

        bool IsPersisted(RecordPeek record) => record.IsCancel
            ? statuses.GetValueOrDefault(record.OrderId) == "cancelled"
            : statuses.ContainsKey(record.OrderId);
        var settled = events.Where(e => IsPersisted(e.Record)).Select(e => e.Field).ToArray();
        if (settled.Length > 0)
        {
            await _redis.HashDeleteAsync(key, settled);
            metrics.Settled(settled.Length);
        }
        var lostFields = events.Where(e => !IsPersisted(e.Record)).Select(e => e.Field).ToArray();
        if (lostFields.Length > 0)
        {
            // Rare (a log gap): read again, decoded this time, what is to be produced again.
            var values = await _redis.HashGetAsync(key, lostFields);
            var lost = lostFields.Select((field, index) => OrderRecords.Parse(new HashEntry(field, values[index]))).OfType<AcknowledgedEvent>();
            foreach (var product in lost.GroupBy(record => record.ProductId))
            {
                await ProduceAgainAsync(product.Key, key, product.ToList(), now);
            }
        }
        foreach (var bucket in stale.GroupBy(reservation => reservation.Bucket))
        {
            await ResolveAsync(bucket.Key, key, bucket.ToList(), statuses);
        }
        events.Clear();
        stale.Clear();
    }

    /// <summary>
    /// Kafka acknowledged these events before the persister's last catch-up point, yet PostgreSQL lacks them: the log lost
    /// them. Produced again in their order (the persister drops an order it already has by id); a record stays until
    /// PostgreSQL has it, re-armed with the current time so it is produced again only after a further catch-up.
    /// </summary>
    private async Task ProduceAgainAsync(string productId, RedisKey key, List<AcknowledgedEvent> lost, long now)
    {
        var deliveries = await Task.WhenAll(lost.Select(record => producer.ProduceAsync(record.Event)));
        var produced = lost.Where((_, index) => deliveries[index] == DeliveryOutcome.Persisted)
            .Select(record => new HashEntry(record.Field, AcknowledgedEvent.Value(now, record.Event)))
            .ToArray();
        if (produced.Length > 0)
        {
            await _redis.HashSetAsync(key, produced);
            metrics.Reproduced(produced.Length);
        }
        LogProducedAgain(productId, produced.Length, lost.Count - produced.Length);
    }

    /// <summary>Reservations of one stock bucket nobody confirmed or undid: accepted when PostgreSQL has the order, else given back.</summary>
    private async Task ResolveAsync(string bucket, RedisKey key, List<InFlightReservation> stale, IReadOnlyDictionary<Guid, string> statuses)
    {
        int accepted = 0, returned = 0;
        foreach (var reservation in stale)
        {
            var orderId = reservation.OrderId.ToString("N");
            if (statuses.ContainsKey(reservation.OrderId))
            {
                var result = await scripts.Resolve.EvaluateAsync(_redis,
                    [key, reservation.IdempotencyRedisKey, RedisKeys.Ledger(bucket), RedisKeys.KeysUntil(bucket)], [orderId, _idempotencyTtlMs]);
                accepted += (int)(long)result;
            }
            else
            {
                // The same give-back as Kafka's refusal: the unit, the key, the admission ticket and the customer's allowance.
                var buckets = await bucketMap.ReadAsync(StockBuckets.ProductOf(bucket));
                var ticket = ReservationUndo.TicketMarkers(buckets.Length == 1 ? null : buckets, bucket, reservation.AdmissionTicket);
                returned += await ReservationUndo.UndoAsync(_redis, scripts, bucket, reservation.IdempotencyRedisKey, reservation.OrderId, ticket) ? 1 : 0;
            }
        }
        metrics.Resolved(accepted, accepted: true);
        metrics.Resolved(returned, accepted: false);
        LogResolved(bucket, accepted, returned);
    }

    /// <summary>
    /// Units this bucket gave to another bucket of its product longer ago than any api takes to hand them over: the api
    /// stopped in between. They join the receiver now (exactly once: a move completed already is a no-op) and the record goes.
    /// </summary>
    private async Task CompleteTransfersAsync(string bucket, long now)
    {
        var key = RedisKeys.Transfers(bucket);
        var completed = 0;
        foreach (var entry in await _redis.HashGetAllAsync(key))
        {
            if (StockTransfer.Parse(entry.Value) is not { } transfer)
            {
                await _redis.HashDeleteAsync(key, entry.Name);
                continue;
            }
            if (transfer.GivenAtMs + (long)_options.MinimumAge.TotalMilliseconds > now)
            {
                continue; // its api is probably handing it over right now
            }
            completed += await OrderGate.ReceiveAsync(_redis, scripts, transfer.Receiver, entry.Name!, transfer.Units, transfer.Sale) ? 1 : 0;
            await _redis.HashDeleteAsync(key, entry.Name);
        }
        if (completed > 0)
        {
            LogTransfersCompleted(bucket, completed);
        }
    }

    [LoggerMessage(LogLevel.Warning, "Completed {Count} moves of units from stock bucket {Bucket} that the api which started them did not finish")]
    private partial void LogTransfersCompleted(string bucket, int count);

    [LoggerMessage(LogLevel.Warning, "Produced {Produced} events of product {ProductId} again ({Failed} failed, retried next pass): Kafka had " +
        "acknowledged them, yet PostgreSQL lacked them after the persister caught up past them (lost from the log)")]
    private partial void LogProducedAgain(string productId, int produced, int failed);

    [LoggerMessage(LogLevel.Warning, "Resolved reservations of product {ProductId} that nobody confirmed or undid (the api stopped between " +
        "Kafka and the answer): {Accepted} accepted (PostgreSQL has the order; the key now answers it), {Returned} returned to stock")]
    private partial void LogResolved(string productId, int accepted, int returned);

    [LoggerMessage(LogLevel.Debug, "Reconciliation could not read the ends of the orders topic ({Code}: {Reason})")]
    private partial void LogKafkaUnreadable(Confluent.Kafka.ErrorCode code, string reason);

    [LoggerMessage(LogLevel.Warning, "Reconciliation pass failed ({Failures} in a row); the records stay until a pass succeeds")]
    private partial void LogPassFailed(Exception exception, int failures);

    [LoggerMessage(LogLevel.Information, "Reconciliation passes succeed again after {Failures} failures")]
    private partial void LogPassRecovered(int failures);
}
