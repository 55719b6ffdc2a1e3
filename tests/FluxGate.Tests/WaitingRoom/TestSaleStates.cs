using System.Collections.Concurrent;
using FluxGate.WaitingRoom.Queue;

namespace FluxGate.Tests.WaitingRoom;

/// <summary>The api's word on each product's sale, as a test sets it: open unless the test says otherwise.</summary>
internal sealed class TestSaleStates : ISaleStates
{
    private readonly ConcurrentDictionary<string, Sale> _sales = new();

    public void Set(string productId, SaleState state, DateTimeOffset? startsAt = null) => _sales[productId] = new Sale(state, startsAt);

    public ValueTask<Sale> GetAsync(string productId, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(_sales.GetValueOrDefault(productId, new Sale(SaleState.Open)));
}
