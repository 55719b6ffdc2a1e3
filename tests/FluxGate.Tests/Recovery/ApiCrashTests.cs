using System.Net;
using FluxGate.AppHost;
using FluxGate.Contracts;
using FluxGate.Tests.Infrastructure;
using StackExchange.Redis;
using Xunit.Abstractions;

namespace FluxGate.Tests.Recovery;

/// <summary>
/// The api killed between Kafka and the answer: Kafka (slowed to a 1 s round trip) has the orders of the requests in
/// flight, their shoppers never heard back. The reconciler resolves each reservation, so a retry of the key after its
/// TTL gets the original order, never a second one.
/// </summary>
[Collection(RecoveryCollection.Name)]
public sealed class ApiCrashTests(RecoveryGraphFixture fixture, ITestOutputHelper output) : IDisposable
{
    private readonly Shop _shop = new(fixture.App, output);

    public void Dispose() => _shop.Dispose();

    [Fact]
    public async Task An_api_killed_between_kafka_and_the_answer_never_lets_a_retried_key_order_twice()
    {
        var graph = fixture.App;
        var productId = Shop.NewProduct("crash");
        await _shop.InitAsync(productId, 100_000);

        List<OrderAttempt> attempts;
        graph.Kafka.SetRoundTripTime(1000);
        try
        {
            var load = _shop.LoadAsync(productId, workers: 32, index => (Guid.NewGuid().ToString(), $"user-{index}"), () => false, maxOrders: 5000);
            await Task.Delay(TimeSpan.FromSeconds(2.5));
            await graph.KillResourceAsync(ResourceNames.Api);
            attempts = await load;
        }
        finally
        {
            graph.Kafka.SetRoundTripTime(0);
        }
        await graph.StartResourceAsync(ResourceNames.Api);

        var unanswered = attempts.Where(attempt => attempt.Status is null).ToList();
        var accepted = attempts.Where(attempt => attempt.Accepted).ToList();
        output.WriteLine($"{attempts.Count} orders sent, {accepted.Count} accepted before the kill, {unanswered.Count} never answered");
        Assert.NotEmpty(unanswered);
        Assert.All(attempts.Where(attempt => attempt.Status is not null), attempt => Assert.True(attempt.Accepted, attempt.ToString()));

        // The reconciler resolves what the dead api left in flight.
        var redis = await ConnectionMultiplexer.ConnectAsync(graph.GetConnectionString("redis"));
        await using (redis)
        {
            await Eventually.UntilAsync(() => TestRecords.ReservationsAsync(redis.GetDatabase(), productId), left => left == 0,
                "no reservation is left in flight");
        }

        // Retried after the key's TTL: the original order where Kafka had it, else (the unit was returned) a first one.
        var afterTtl = unanswered.Max(attempt => attempt.SentAt) + RecoveryGraphFixture.IdempotencyTtl + TimeSpan.FromSeconds(1);
        if (afterTtl > DateTimeOffset.UtcNow)
        {
            await Task.Delay(afterTtl - DateTimeOffset.UtcNow);
        }
        var retries = await Task.WhenAll(unanswered.Select(attempt => _shop.OrderAsync(productId, attempt.Key, attempt.UserId)));
        Assert.All(retries, retry => Assert.Equal(HttpStatusCode.OK, retry.Status));
        var original = retries.Count(retry => retry.Outcome == "ignored");
        output.WriteLine($"retried after the TTL: {original} got their original order (Kafka had it), {retries.Length - original} placed their first");
        Assert.True(original > 0, "no order was in Kafka when the api died: the crash was not between Kafka and the answer");

        var orderIds = accepted.Concat(retries).Select(attempt => attempt.OrderId!.Value).Distinct().ToList();
        await Eventually.UntilAsync(() => _shop.CountPersistedAsync(orderIds), count => count == orderIds.Count, "every order is in PostgreSQL");
        var report = await _shop.UntilInvariantsHoldAsync(productId);
        Assert.Equal(orderIds.Count, report.GetProperty("persisted").GetInt64());
        Assert.Empty(await _shop.KeysOrderedTwiceAsync(productId));
    }
}
