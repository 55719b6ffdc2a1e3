using System.Collections.Concurrent;
using FluxGate.Api.Options;
using Microsoft.Extensions.Options;

namespace FluxGate.Api.Orders;

/// <summary>
/// The products this api answers sold out without Redis. Redis's answer is exactly "sold out" for any new order of a
/// product whose stock is 0 once no idempotency key of it can be held (a held key answers "duplicate"); the order
/// script reports both, and the scripts that put units back publish it (<see cref="StockReturnedSubscription"/>).
/// A product split over stock buckets is sold out when every bucket is (each learned on its own, by the order script or
/// by the fall-through that found it empty). It may say sold out for a moment after a unit comes back; it never accepts
/// anything.
/// </summary>
public sealed class SoldOutProducts(IOptions<OrderBatchingOptions> options, TimeProvider time)
{
    /// <summary>How far this host's clock may be ahead of Redis's before a key Redis still holds looks expired.</summary>
    public static readonly TimeSpan ClockSkewAllowance = TimeSpan.FromSeconds(1);

    private readonly ConcurrentDictionary<string, Empty> _buckets = new(StringComparer.Ordinal);
    private readonly Lock _changes = new();
    private readonly bool _enabled = options.Value.AnswerSoldOutLocally;
    private readonly long _recheckMs = (long)options.Value.SoldOutRecheck.TotalMilliseconds;
    private readonly long _skewMs = (long)ClockSkewAllowance.TotalMilliseconds;
    private long _returns;
    private bool _listening;

    /// <summary>Counts every unit coming back; an empty bucket seen before the latest one is not learned.</summary>
    public long Returns => Volatile.Read(ref _returns);

    /// <summary>True when Redis would answer any new order of the product "sold out" now.</summary>
    /// <param name="buckets">The product's stock buckets; null for one (the product itself).</param>
    public bool Answers(string productId, string[]? buckets = null)
    {
        if (!_buckets.ContainsKey(buckets?[0] ?? productId))
        {
            return false; // the common case, without reading the clock
        }
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        if (buckets is null)
        {
            return IsEmpty(productId, now, out var keysUntilMs) && now > keysUntilMs + _skewMs;
        }
        long lastKeyMs = 0;
        foreach (var bucket in buckets)
        {
            if (!IsEmpty(bucket, now, out var keysUntilMs))
            {
                return false;
            }
            lastKeyMs = Math.Max(lastKeyMs, keysUntilMs);
        }
        return now > lastKeyMs + _skewMs;
    }

    /// <summary>True when the bucket had no stock a moment ago and no unit came back to it since: no point asking it for some.</summary>
    public bool IsEmpty(string bucket) => IsEmpty(bucket, time.GetUtcNow().ToUnixTimeMilliseconds(), out _);

    /// <summary>Redis said the bucket (the product itself, or one of its stock buckets) has no stock left and its keys live until <paramref name="keysUntilMs"/>.</summary>
    /// <param name="returnsBefore"><see cref="Returns"/> when the call that said so was sent.</param>
    public void Learn(string bucket, long keysUntilMs, long returnsBefore)
    {
        if (!_enabled)
        {
            return;
        }
        lock (_changes)
        {
            // Not while the stock-returned messages may be missed, nor if a unit came back after the call was sent.
            if (_listening && Returns == returnsBefore)
            {
                _buckets[bucket] = new Empty(time.GetUtcNow().ToUnixTimeMilliseconds(), keysUntilMs);
            }
        }
    }

    /// <summary>A unit came back to the bucket (or its stock was set): ask Redis again.</summary>
    public void Returned(string? bucket)
    {
        lock (_changes)
        {
            _returns++;
            if (bucket is null)
            {
                _buckets.Clear();
            }
            else
            {
                _buckets.TryRemove(bucket, out _);
            }
        }
    }

    /// <summary>Whether stock-returned messages reach this api: without them nothing is answered locally.</summary>
    public void Listening(bool listening)
    {
        lock (_changes)
        {
            _listening = listening;
            _returns++;
            _buckets.Clear();
        }
    }

    private bool IsEmpty(string bucket, long now, out long keysUntilMs)
    {
        keysUntilMs = 0;
        if (!_buckets.TryGetValue(bucket, out var empty))
        {
            return false;
        }
        if (now >= empty.CheckedAtMs + _recheckMs)
        {
            _buckets.TryRemove(new KeyValuePair<string, Empty>(bucket, empty)); // the next order asks Redis
            return false;
        }
        keysUntilMs = empty.KeysUntilMs;
        return true;
    }

    private sealed record Empty(long CheckedAtMs, long KeysUntilMs);
}
