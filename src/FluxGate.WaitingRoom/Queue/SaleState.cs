namespace FluxGate.WaitingRoom.Queue;

/// <summary>Where a product's sale stands, as the api says (<see cref="ISaleStates"/>): whether a line may form.</summary>
public enum SaleState
{
    Open = 0,
    SoldOut = 1,
    NotOnSale = 2,
}

/// <summary>The room's only knowledge of a product's stock.</summary>
public interface ISaleStates
{
    ValueTask<SaleState> GetAsync(string productId, CancellationToken cancellationToken = default);
}
