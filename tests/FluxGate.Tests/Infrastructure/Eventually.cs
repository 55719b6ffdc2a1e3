namespace FluxGate.Tests.Infrastructure;

/// <summary>Polling with a generous deadline, for state that settles asynchronously (no fixed sleeps in tests).</summary>
public static class Eventually
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(60);

    /// <summary>Polls <paramref name="condition"/> until it holds; fails with <paramref name="what"/> and the last observation.</summary>
    public static async Task<T> UntilAsync<T>(Func<Task<T>> probe, Func<T, bool> condition, string what, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? DefaultTimeout);
        T last;
        Exception? lastError = null;
        while (true)
        {
            try
            {
                last = await probe();
                if (condition(last))
                {
                    return last;
                }
                lastError = null;
            }
            catch (Exception exception)
            {
                last = default!;
                lastError = exception;
            }
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException(
                    $"Timed out waiting until {what}. Last observation: {(lastError is not null ? lastError.Message : last?.ToString())}", lastError);
            }
            await Task.Delay(200);
        }
    }
}
