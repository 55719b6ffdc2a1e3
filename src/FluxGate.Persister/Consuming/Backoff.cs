namespace FluxGate.Persister.Consuming;

/// <summary>
/// Exponential backoff with a cap and ±20 % jitter, so a fleet of persisters does not retry in step: the write retry's,
/// whose wait polls Kafka (<see cref="OrdersConsumer"/>); the other retries are Polly's.
/// </summary>
public sealed class Backoff(TimeSpan initial, TimeSpan max)
{
    public TimeSpan Delay(int attempt, Random? random = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(attempt, 1);
        var doubled = initial.TotalMilliseconds * Math.Pow(2, Math.Min(attempt - 1, 30));
        var capped = Math.Min(doubled, max.TotalMilliseconds);
        var jitter = 0.8 + 0.4 * (random ?? Random.Shared).NextDouble();
        return TimeSpan.FromMilliseconds(Math.Min(capped * jitter, max.TotalMilliseconds));
    }
}
