using System.Collections.Concurrent;
using FluxGate.WaitingRoom.Queue;

namespace FluxGate.Tests.WaitingRoom;

/// <summary>The api's word on each product's sale, as a test sets it: open unless the test says otherwise.</summary>
internal sealed class TestSaleStates : ISaleStates
{
    private readonly ConcurrentDictionary<string, SaleState> _states = new();

    public void Set(string productId, SaleState state) => _states[productId] = state;

    public ValueTask<SaleState> GetAsync(string productId, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(_states.GetValueOrDefault(productId, SaleState.Open));
}
