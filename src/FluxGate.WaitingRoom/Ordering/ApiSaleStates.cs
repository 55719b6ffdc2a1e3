using System.Collections.Concurrent;
using FluxGate.WaitingRoom.Queue;

namespace FluxGate.WaitingRoom.Ordering;

/// <summary>
/// A product's sale state from the api (<c>GET /inventory/{productId}</c>: 404 not on sale, 0 sold out), asked at most
/// once per <see cref="FreshFor"/> per product in this process however many shoppers join or poll. While the api does
/// not answer, the last state it gave holds (a product never heard of counts as open: the hand-off of its order says).
/// </summary>
public sealed partial class ApiSaleStates(OrderApiClient api, TimeProvider time, ILogger<ApiSaleStates> logger) : ISaleStates
{
    /// <summary>How stale a state may be: a poll learns a sell-out within about this (the page polls every second or more).</summary>
    public static readonly TimeSpan FreshFor = TimeSpan.FromMilliseconds(500);

    /// <summary>Products remembered at most: a client that joins the lines of a million made-up products grows no cache.</summary>
    public const int MaxProducts = 10_000;

    private readonly ConcurrentDictionary<string, Known> _known = new();

    public async ValueTask<Sale> GetAsync(string productId, CancellationToken cancellationToken = default)
    {
        var now = time.GetUtcNow();
        var known = _known.GetValueOrDefault(productId);
        if (known is null || now - known.AskedAt >= FreshFor)
        {
            // One question in flight per product: whoever loses the race waits for the winner's answer. The question is
            // not one shopper's, so no shopper's leaving cancels it (the client's timeout bounds it).
            var before = known;
            var asking = new Known(new Lazy<Task<Sale>>(() => AskAsync(productId, before)), now);
            if (before is null && _known.Count >= MaxProducts)
            {
                Forget(now);
            }
            // The entry may have been replaced (another shopper asked first) or dropped as stale meanwhile.
            known = before is not null
                ? _known.TryUpdate(productId, asking, before) ? asking : _known.GetValueOrDefault(productId) ?? asking
                : _known.Count < MaxProducts ? _known.GetOrAdd(productId, asking) : asking;
        }
        return await known.State.Value.WaitAsync(cancellationToken);
    }

    /// <summary>Drops what is stale anyway; a product asked again is asked of the api again.</summary>
    private void Forget(DateTimeOffset now)
    {
        foreach (var (productId, known) in _known)
        {
            if (now - known.AskedAt >= FreshFor)
            {
                _known.TryRemove(new KeyValuePair<string, Known>(productId, known));
            }
        }
    }

    private async Task<Sale> AskAsync(string productId, Known? before)
    {
        try
        {
            return await api.GetInventoryAsync(productId, CancellationToken.None) switch
            {
                null => new Sale(SaleState.NotOnSale),
                { Stock: <= 0 } inventory => new Sale(SaleState.SoldOut, inventory.StartsAt),
                var inventory => new Sale(SaleState.Open, inventory.StartsAt),
            };
        }
        catch (Exception exception) when (exception is HttpRequestException or TaskCanceledException)
        {
            var last = before is { State.IsValueCreated: true } && before.State.Value.IsCompletedSuccessfully ? before.State.Value.Result : new Sale(SaleState.Open);
            LogApiSilent(logger, productId, last.State, exception.Message);
            return last;
        }
    }

    private sealed record Known(Lazy<Task<Sale>> State, DateTimeOffset AskedAt);

    [LoggerMessage(LogLevel.Warning, "The api did not say how the sale of {ProductId} stands ({Error}); keeping {State}")]
    private static partial void LogApiSilent(ILogger logger, string productId, SaleState state, string error);
}
