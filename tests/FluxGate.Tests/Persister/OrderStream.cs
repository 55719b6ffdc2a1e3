namespace FluxGate.Tests.Persister;

/// <summary>A steady flow of orders (one per product per round) in the background, until stopped; counts what it produced.</summary>
public sealed class OrderStream
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Task<Dictionary<string, int>> _run;
    private int _rounds;

    private readonly int _productCount;

    private OrderStream(OrderProducer producer, IReadOnlyList<string> products)
    {
        _productCount = products.Count;
        _run = Task.Run(() => RunAsync(producer, products));
    }

    public static OrderStream Start(OrderProducer producer, IReadOnlyList<string> products) => new(producer, products);

    /// <summary>Waits until the stream has produced (and Kafka acknowledged) at least <paramref name="more"/> orders beyond now.</summary>
    public async Task UntilProducedAsync(int more)
    {
        var target = Volatile.Read(ref _rounds) * _productCount + more;
        await Infrastructure.Eventually.UntilAsync(() => Task.FromResult(Volatile.Read(ref _rounds) * _productCount),
            produced => produced >= target || _run.IsCompleted, $"{more} more orders are produced");
        if (_run.IsFaulted)
        {
            await _run; // surfaces the producer's failure
        }
    }

    /// <returns>How many orders of each product were produced (all acknowledged by Kafka).</returns>
    public async Task<Dictionary<string, int>> StopAsync()
    {
        await _stop.CancelAsync();
        return await _run;
    }

    private async Task<Dictionary<string, int>> RunAsync(OrderProducer producer, IReadOnlyList<string> products)
    {
        var produced = products.ToDictionary(product => product, _ => 0);
        while (!_stop.IsCancellationRequested)
        {
            // Every delivery is awaited before it is counted, so the count is exactly what Kafka holds.
            await producer.ProduceAllAsync(products.Select(OrderProducer.Order));
            foreach (var product in products)
            {
                produced[product]++;
            }
            Interlocked.Increment(ref _rounds);
            try
            {
                await Task.Delay(5, _stop.Token);
            }
            catch (OperationCanceledException)
            {
            }
        }
        return produced;
    }
}
