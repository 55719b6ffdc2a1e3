using System.Collections.Concurrent;
using FluxGate.Api.Options;
using FluxGate.Api.Redis;
using FluxGate.Contracts;
using FluxGate.ServiceDefaults.Authentication;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace FluxGate.Api.Orders;

/// <summary>
/// The Redis side of an order: one atomic script decides it (duplicate → sold out → purchase limit → rate → reserve);
/// after Kafka answers, the reservation is confirmed or undone. The orders of one product that arrive while its previous
/// call is in flight share the next call (<see cref="ProductLane"/>): one round trip for many orders under load, one per
/// order when idle, the same decisions as one call each. A product Redis said is sold out is answered here
/// (<see cref="SoldOutProducts"/>). A product split over stock buckets (<see cref="StockBuckets"/>) has one lane per
/// bucket; an order whose bucket is empty waits while units move there from another bucket (the fall-through), and is
/// sold out only when every bucket is.
/// </summary>
public sealed partial class OrderGate(
    IConnectionMultiplexer redis,
    GateScripts scripts,
    IOptions<RateLimitOptions> rateLimit,
    IOptions<IdempotencyOptions> idempotency,
    IOptions<AdmissionOptions> admission,
    IOptions<ReconciliationOptions> reconciliation,
    IOptions<OrderBatchingOptions>? batching = null,
    SoldOutProducts? soldOut = null,
    StockBucketMap? bucketMap = null)
{
    /// <summary>How often one order may find its bucket emptied again by others after units moved there for it.</summary>
    private const int MaxFallThroughs = 8;

    private static readonly Task<OrderDecision> SoldOutHere = Task.FromResult(new OrderDecision(OrderDecisionKind.SoldOut));
    private static readonly RedisValue ReceivedMarkerLifetimeMs = (long)TimeSpan.FromDays(7).TotalMilliseconds;

    private readonly IDatabase _database = redis.GetDatabase();
    private readonly StockBucketMap _buckets = bucketMap ?? new StockBucketMap(redis);
    private readonly ConcurrentDictionary<string, ProductLane> _lanes = new(StringComparer.Ordinal);
    private readonly int _maxBatch = (batching?.Value ?? new OrderBatchingOptions()).MaxBatch;
    private readonly OrderBatchCall _call = new(rateLimit.Value, idempotency.Value, admission.Value, reconciliation.Value);
    private readonly TimeSpan _usedTicketRetention = admission.Value.UsedTicketRetention;

    /// <param name="admittedTicket">The ticket of a verified admission token, which replaces the rate buckets once.</param>
    /// <param name="shopper">Whose order: its tier picks the rate bucket, its rate key the per-shopper bucket, its
    /// customer id what the purchase limit counts.</param>
    public Task<OrderDecision> DecideAsync(string productId, string idempotencyKey, long? admittedTicket, Shopper shopper)
    {
        var buckets = _buckets.Known(productId);
        if (soldOut is not null && soldOut.Answers(productId, buckets))
        {
            return SoldOutHere;
        }
        var decision = new PendingDecision(productId, idempotencyKey, admittedTicket, shopper);
        Route(decision, buckets);
        return admittedTicket is null ? decision.Task : UseTicketOnceAsync(decision);
    }

    /// <summary>
    /// Kafka has the order: its record becomes the event PostgreSQL must get (the reconciler produces it again if the
    /// Kafka log lost it), its key answers "duplicate" instead of "in progress" and expires a TTL from now.
    /// </summary>
    /// <param name="bucket">The stock bucket that decided it (<see cref="OrderDecision.Bucket"/>); null: the one its key
    /// maps to now.</param>
    public Task<ConfirmOutcome> ConfirmAsync(OrderAccepted order, string? bucket = null)
    {
        bucket ??= BucketOf(order.ProductId, _buckets.Known(order.ProductId), order.IdempotencyKey);
        var lane = LaneOf(bucket);
        if (lane.Slot != OrderIds.SlotOf(order.OrderId))
        {
            // Decided in another bucket (the product was initialized again with another split meanwhile): its
            // reservation is there, for the reconciler.
            return Task.FromResult(ConfirmOutcome.NotHere);
        }
        var confirm = new PendingConfirm(order, OrderEventRecord.Encode(order));
        SendIfIdle(lane, lane.Add(confirm));
        return confirm.Task;
    }

    /// <summary>The bucket of the product's orders with this key.</summary>
    /// <param name="buckets">The product's stock buckets as this api knows them; null: one.</param>
    private static string BucketOf(string productId, string[]? buckets, string idempotencyKey) =>
        buckets is null ? productId : StockBucketMap.BucketOf(buckets, idempotencyKey);

    /// <param name="buckets">The product's stock buckets as this api knows them; null: one.</param>
    private void Route(PendingDecision decision, string[]? buckets)
    {
        decision.Buckets = buckets;
        decision.Bucket = BucketOf(decision.ProductId, buckets, decision.IdempotencyKey);
        var lane = LaneOf(decision.Bucket);
        decision.OrderId = OrderIds.New(lane.Slot);
        SendIfIdle(lane, lane.Add(decision));
    }

    private ProductLane LaneOf(string bucket) =>
        _lanes.GetOrAdd(bucket, static (id, max) => new ProductLane(id, max), _maxBatch);

    /// <param name="batch">What the lane handed back: a batch to send now, or null when its call in flight takes the order along.</param>
    private void SendIfIdle(ProductLane lane, OrderBatch? batch)
    {
        if (batch is not null)
        {
            _ = SendAsync(lane, batch);
        }
    }

    /// <summary>Sends the lane's batches until nothing waits; every order of a batch gets its answer or the call's exception.</summary>
    private async Task SendAsync(ProductLane lane, OrderBatch batch)
    {
        for (OrderBatch? next = batch; next is not null; next = lane.Sent())
        {
            var returnsBefore = soldOut?.Returns ?? 0;
            try
            {
                var (keys, values) = _call.Encode(lane, next);
                var results = (RedisResult[])(await scripts.OrderBatch.EvaluateAsync(_database, keys, values).ConfigureAwait(false))!;
                Deliver(lane.Bucket, next, results, returnsBefore);
            }
            catch (Exception exception)
            {
                // Whatever fails, no order may wait forever, nor the lane stay busy: the orders not answered yet get the
                // exception (the spec's 500), and the next batch goes.
                next.Confirms.ForEach(confirm => confirm.TrySetException(exception));
                next.Decisions.ForEach(decision => decision.TrySetException(exception));
            }
        }
        // Idle: a product no one orders holds no memory. An order racing this removal starts a lane of its own.
        _lanes.TryRemove(new KeyValuePair<string, ProductLane>(lane.Bucket, lane));
    }

    private void Deliver(string bucket, OrderBatch batch, RedisResult[] results, long returnsBefore)
    {
        for (var i = 0; i < batch.Confirms.Count; i++)
        {
            batch.Confirms[i].TrySetResult(OrderBatchCall.Confirm(results, i));
        }
        if (batch.Decisions.Count == 0)
        {
            return;
        }

        // The bucket is empty as this api routes the product only when Redis routes it the same way.
        var stockBuckets = OrderBatchCall.StockBuckets(results);
        if (OrderBatchCall.StockLeft(results) == 0 && soldOut is not null && stockBuckets == (batch.Decisions[0].Buckets?.Length ?? 1))
        {
            soldOut.Learn(bucket, OrderBatchCall.KeysUntilMs(results), returnsBefore);
        }
        List<PendingDecision>? rerouted = null, fallingThrough = null;
        for (var i = 0; i < batch.Decisions.Count; i++)
        {
            var decision = batch.Decisions[i];
            var result = OrderBatchCall.Decision(results, batch, i);
            if (OrderBatchCall.IsRoutedByAnotherCount(result))
            {
                (rerouted ??= []).Add(decision); // the product was initialized again with another count of buckets
                continue;
            }
            try
            {
                var outcome = OrderBatchCall.Interpret(result, decision.OrderId, bucket);
                if (outcome.Kind == OrderDecisionKind.SoldOut && decision.Buckets is not null && decision.FallThroughs < MaxFallThroughs)
                {
                    (fallingThrough ??= []).Add(decision);
                    continue;
                }
                decision.TrySetResult(outcome);
            }
            catch (InvalidOperationException exception)
            {
                decision.TrySetException(exception); // one unreadable answer fails its order only
            }
        }
        if (rerouted is not null)
        {
            var buckets = _buckets.Learn(rerouted[0].ProductId, stockBuckets);
            foreach (var decision in rerouted)
            {
                Route(decision, buckets.Length == 1 ? null : buckets);
            }
        }
        if (fallingThrough is not null)
        {
            _ = FallThroughAsync(bucket, fallingThrough);
        }
    }

    /// <summary>
    /// The orders' bucket is empty: move units to it from the product's other buckets (as many as there are orders, from
    /// the first buckets that have some), then decide the orders there again. Sold out only when no bucket had any.
    /// </summary>
    /// <remarks>
    /// The units move, not the orders: each order stays decided, confirmed, cancelled and reconciled in its one bucket,
    /// so no call ever spans two slots. A move leaves the giver at once and reaches the receiver exactly once
    /// (stock_give.lua, stock_receive.lua); when this api stops in between, the reconciler completes it.
    /// </remarks>
    private async Task FallThroughAsync(string receiver, List<PendingDecision> decisions)
    {
        var buckets = decisions[0].Buckets!;
        var wanted = decisions.Count;
        var received = 0;
        try
        {
            var start = Array.IndexOf(buckets, receiver);
            for (var step = 1; step < buckets.Length && received < wanted; step++)
            {
                var giver = buckets[(start + step) % buckets.Length];
                if (soldOut is not null && soldOut.IsEmpty(giver))
                {
                    continue;
                }
                received += await MoveUnitsAsync(giver, receiver, wanted - received, buckets.Length).ConfigureAwait(false);
            }
        }
        catch (Exception exception)
        {
            decisions.ForEach(decision => decision.TrySetException(exception));
            return;
        }
        foreach (var decision in decisions)
        {
            if (received == 0)
            {
                decision.TrySetResult(new OrderDecision(OrderDecisionKind.SoldOut));
                continue;
            }
            // Decided again in the same bucket: others may take the units first, so it may fall through again.
            decision.FallThroughs++;
            Route(decision, _buckets.Known(decision.ProductId));
        }
    }

    /// <returns>The units that reached <paramref name="receiver"/>.</returns>
    private async Task<int> MoveUnitsAsync(string giver, string receiver, int wanted, int stockBuckets)
    {
        var returnsBefore = soldOut?.Returns ?? 0;
        var transfer = Guid.NewGuid().ToString("N");
        var given = (RedisResult[])(await scripts.StockGive.EvaluateAsync(_database,
            [RedisKeys.Stock(giver), RedisKeys.Ledger(giver), RedisKeys.Transfers(giver), RedisKeys.KeysUntil(giver)],
            [wanted, transfer, receiver, stockBuckets]).ConfigureAwait(false))!;
        var (units, left, keysUntilMs, sale) = ((int)(long)given[0], (long)given[1], (long)given[2], (string?)given[3]);
        if (left == 0 && soldOut is not null)
        {
            soldOut.Learn(giver, keysUntilMs, returnsBefore);
        }
        if (units == 0)
        {
            return 0;
        }
        var moved = await ReceiveAsync(_database, scripts, receiver, transfer, units, sale).ConfigureAwait(false);
        // The record is only what lets the reconciler finish a move cut short; a lost delete costs it one no-op receive.
        _ = _database.HashDeleteAsync(RedisKeys.Transfers(giver), transfer, CommandFlags.FireAndForget);
        return moved ? units : 0;
    }

    /// <summary>The units of one transfer join <paramref name="receiver"/>'s stock, exactly once (stock_receive.lua).</summary>
    /// <param name="sale">The product's initializedAt when they were given: units of an earlier sale are dropped.</param>
    public static async Task<bool> ReceiveAsync(IDatabase redis, GateScripts scripts, string receiver, string transfer, long units, string? sale) =>
        (long)await scripts.StockReceive.EvaluateAsync(redis,
            [RedisKeys.Stock(receiver), RedisKeys.Ledger(receiver), RedisKeys.TransferReceived(receiver, transfer)],
            [units, sale ?? "", ReceivedMarkerLifetimeMs]).ConfigureAwait(false) == 1;

    /// <summary>
    /// For a product split over stock buckets, an admission ticket's one use is claimed after the reservation, in the
    /// ticket's own bucket (its marker holds the order id): claiming it before could lose the ticket to a crash, claiming
    /// it in the order's bucket would let one ticket serve once per bucket. A ticket used already undoes the reservation.
    /// </summary>
    private async Task<OrderDecision> UseTicketOnceAsync(PendingDecision decision)
    {
        var outcome = await decision.Task.ConfigureAwait(false);
        if (outcome.Kind != OrderDecisionKind.Reserved || decision.Buckets is not { } buckets)
        {
            return outcome;
        }
        var marker = ReservationUndo.SplitAdmissionMarker(buckets, decision.AdmittedTicket!.Value);
        if (await _database.StringSetAsync(marker, decision.OrderId.ToString("N"), _usedTicketRetention, When.NotExists).ConfigureAwait(false))
        {
            return outcome;
        }
        await ReservationUndo.UndoAsync(_database, scripts, decision.Bucket, RedisKeys.Idempotency(decision.Bucket, decision.IdempotencyKey), decision.OrderId, default)
            .ConfigureAwait(false);
        return new OrderDecision(OrderDecisionKind.AdmissionAlreadyUsed);
    }

    /// <summary>
    /// Kafka refused the order: return the unit, forget the key, release the admission ticket it used and give the
    /// customer's allowance back. True when this call undid the reservation.
    /// </summary>
    /// <param name="bucket">The stock bucket that decided it; null: the one its key maps to now.</param>
    public Task<bool> CompensateAsync(string productId, string idempotencyKey, Guid orderId, long? admittedTicket, string? bucket = null)
    {
        var buckets = _buckets.Known(productId);
        bucket ??= BucketOf(productId, buckets, idempotencyKey);
        return ReservationUndo.UndoAsync(_database, scripts, bucket, RedisKeys.Idempotency(bucket, idempotencyKey), orderId, ReservationUndo.TicketMarkers(buckets, bucket, admittedTicket));
    }
}
