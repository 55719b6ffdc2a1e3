using System.Collections.Concurrent;
using FluxGate.Api.Options;
using Microsoft.Extensions.Options;

namespace FluxGate.Api.Orders;

/// <summary>
/// The products this api answers sold out without Redis. Redis's answer is exactly "sold out" for any new order of a
/// product whose stock is 0 once no idempotency key of it can be held (a held key answers "duplicate"); the order
/// script reports both, and the scripts that put units back publish it (<see cref="StockReturnedSubscription"/>).
/// It may say sold out for a moment after a unit comes back; it never accepts anything.
/// </summary>
public sealed class SoldOutProducts(IOptions<OrderBatchingOptions> options, TimeProvider time)
{
    /// <summary>How far this host's clock may be ahead of Redis's before a key Redis still holds looks expired.</summary>
    public static readonly TimeSpan ClockSkewAllowance = TimeSpan.FromSeconds(1);

    private readonly ConcurrentDictionary<string, SoldOut> _products = new(StringComparer.Ordinal);
    private readonly Lock _changes = new();
    private readonly bool _enabled = options.Value.AnswerSoldOutLocally;
    private readonly long _recheckMs = (long)options.Value.SoldOutRecheck.TotalMilliseconds;
    private readonly long _skewMs = (long)ClockSkewAllowance.TotalMilliseconds;
    private long _returns;
    private bool _listening;

    /// <summary>Counts every unit coming back; a sold-out answer from before the latest one is not learned.</summary>
    public long Returns => Volatile.Read(ref _returns);

    /// <summary>True when Redis would answer any new order of the product "sold out" now.</summary>
    public bool Answers(string productId)
    {
        if (!_products.TryGetValue(productId, out var soldOut))
        {
            return false;
        }
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        if (now < soldOut.CheckedAtMs + _recheckMs && now > soldOut.KeysUntilMs + _skewMs)
        {
            return true;
        }
        if (now >= soldOut.CheckedAtMs + _recheckMs)
        {
            _products.TryRemove(new KeyValuePair<string, SoldOut>(productId, soldOut)); // the next order asks Redis
        }
        return false;
    }

    /// <summary>Redis said the product has no stock left and its keys live until <paramref name="keysUntilMs"/>.</summary>
    /// <param name="returnsBefore"><see cref="Returns"/> when the call that said so was sent.</param>
    public void Learn(string productId, long keysUntilMs, long returnsBefore)
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
                _products[productId] = new SoldOut(time.GetUtcNow().ToUnixTimeMilliseconds(), keysUntilMs);
            }
        }
    }

    /// <summary>A unit of the product came back (or its stock was set): ask Redis again.</summary>
    public void Returned(string? productId)
    {
        lock (_changes)
        {
            _returns++;
            if (productId is null)
            {
                _products.Clear();
            }
            else
            {
                _products.TryRemove(productId, out _);
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
            _products.Clear();
        }
    }

    private sealed record SoldOut(long CheckedAtMs, long KeysUntilMs);
}
