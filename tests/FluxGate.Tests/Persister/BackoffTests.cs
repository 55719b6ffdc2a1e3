using FluxGate.Persister.Consuming;

namespace FluxGate.Tests.Persister;

public sealed class BackoffTests
{
    [Fact]
    public void Doubles_from_the_initial_delay_within_the_jitter_band()
    {
        var backoff = new Backoff(TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(60));

        for (var attempt = 1; attempt <= 5; attempt++)
        {
            var nominal = 100 * Math.Pow(2, attempt - 1);
            var delay = backoff.Delay(attempt, new Random(attempt)).TotalMilliseconds;
            Assert.InRange(delay, nominal * 0.8, nominal * 1.2);
        }
    }

    [Fact]
    public void Never_exceeds_the_cap_even_after_many_attempts()
    {
        var backoff = new Backoff(TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(5));

        foreach (var attempt in new[] { 7, 8, 50, 1000, int.MaxValue })
        {
            var delay = backoff.Delay(attempt, new Random(attempt));
            Assert.InRange(delay, TimeSpan.FromSeconds(4), TimeSpan.FromSeconds(5));
        }
    }
}
