namespace FluxGate.WaitingRoom.Queue;

/// <summary>Where a product's sale stands, as the api says (<see cref="ISaleStates"/>): whether a line may form.</summary>
public enum SaleState
{
    Open = 0,
    SoldOut = 1,
    NotOnSale = 2,
}

/// <summary>A product's sale as the api says: its state and, for a scheduled sale, when it opens.</summary>
public readonly record struct Sale(SaleState State, DateTimeOffset? StartsAt = null);

/// <summary>The room's only knowledge of a product's stock.</summary>
public interface ISaleStates
{
    ValueTask<Sale> GetAsync(string productId, CancellationToken cancellationToken = default);
}
