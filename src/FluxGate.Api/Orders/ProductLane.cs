using FluxGate.Api.Redis;
using FluxGate.Contracts;
using StackExchange.Redis;

namespace FluxGate.Api.Orders;

/// <summary>An order waiting for its stock bucket's next script call; completed with Redis's decision.</summary>
internal sealed class PendingDecision(string productId, string idempotencyKey, long? admittedTicket, Shopper shopper)
    : TaskCompletionSource<OrderDecision>(TaskCreationOptions.RunContinuationsAsynchronously)
{
    /// <summary>Chosen when the order is routed to its bucket: it carries the bucket's hash slot (<see cref="OrderIds"/>).</summary>
    public Guid OrderId { get; set; }
    public string ProductId { get; } = productId;
    public string IdempotencyKey { get; } = idempotencyKey;
    public long? AdmittedTicket { get; } = admittedTicket;
    public Shopper Shopper { get; } = shopper;

    /// <summary>The product's buckets the order was routed by (null: one, the product's own keys).</summary>
    public string[]? Buckets { get; set; }

    /// <summary>The bucket deciding it: the product, or one of its stock buckets.</summary>
    public string Bucket { get; set; } = productId;

    /// <summary>How often it found its bucket empty and was sent again after units moved there.</summary>
    public int FallThroughs { get; set; }
}

/// <summary>An order Kafka has, waiting for its stock bucket's next script call to record it accepted.</summary>
internal sealed class PendingConfirm(OrderAccepted order, byte[] record)
    : TaskCompletionSource<ConfirmOutcome>(TaskCreationOptions.RunContinuationsAsynchronously)
{
    public OrderAccepted Order { get; } = order;
    /// <summary>The order as its record keeps it until PostgreSQL has it (<see cref="Redis.OrderEventRecord"/>).</summary>
    public byte[] Record { get; } = record;
}

/// <summary>What one script call of a stock bucket carries: confirms first, then decisions in arrival order.</summary>
internal sealed record OrderBatch(List<PendingConfirm> Confirms, List<PendingDecision> Decisions);

/// <summary>
/// The orders of one product (of one of its stock buckets, when split) on their way to Redis. At most one script call
/// of the bucket is in flight from this api; the orders that arrive meanwhile wait here and go together in the next
/// one. An idle lane sends at once.
/// </summary>
internal sealed class ProductLane(string bucket, int maxBatch)
{
    private readonly Lock _gate = new();
    private List<PendingConfirm> _confirms = [];
    private List<PendingDecision> _decisions = [];
    private bool _inFlight;

    /// <summary>The product, or the one of its stock buckets, whose keys the lane's calls use.</summary>
    public string Bucket { get; } = bucket;

    /// <summary>The Redis Cluster hash slot of <see cref="Bucket"/>'s keys.</summary>
    public int Slot { get; } = RedisHashSlot.Of(bucket);

    /// <summary>The records hash of <see cref="Slot"/> (<see cref="OrderRecords"/>).</summary>
    public RedisKey Records { get; } = OrderRecords.Key(RedisHashSlot.Of(bucket));

    /// <returns>The batch the caller must send now, or null when a call is in flight (it is sent after that one).</returns>
    public OrderBatch? Add(PendingDecision decision)
    {
        lock (_gate)
        {
            _decisions.Add(decision);
            return TakeIfIdle();
        }
    }

    /// <inheritdoc cref="Add(PendingDecision)"/>
    public OrderBatch? Add(PendingConfirm confirm)
    {
        lock (_gate)
        {
            _confirms.Add(confirm);
            return TakeIfIdle();
        }
    }

    /// <summary>The call in flight has been answered.</summary>
    /// <returns>The next batch to send, or null when nothing waits (the lane is idle).</returns>
    public OrderBatch? Sent()
    {
        lock (_gate)
        {
            if (_confirms.Count == 0 && _decisions.Count == 0)
            {
                _inFlight = false;
                return null;
            }
            return Take();
        }
    }

    private OrderBatch? TakeIfIdle()
    {
        if (_inFlight)
        {
            return null;
        }
        _inFlight = true;
        return Take();
    }

    private OrderBatch Take()
    {
        if (_confirms.Count + _decisions.Count <= maxBatch)
        {
            var all = new OrderBatch(_confirms, _decisions);
            _confirms = [];
            _decisions = [];
            return all;
        }
        // Confirms first: their shoppers have waited longest, and each one settles a reservation.
        var confirms = Math.Min(_confirms.Count, maxBatch);
        var decisions = maxBatch - confirms;
        var batch = new OrderBatch(_confirms.GetRange(0, confirms), _decisions.GetRange(0, decisions));
        _confirms.RemoveRange(0, confirms);
        _decisions.RemoveRange(0, decisions);
        return batch;
    }
}
