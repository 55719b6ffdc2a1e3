using System.Net;
using FluxGate.AppHost;
using FluxGate.Tests.Infrastructure;
using Xunit.Abstractions;

namespace FluxGate.Tests.Recovery;

/// <summary>
/// The persister down under load long enough that the development broker (5 MB per partition) drops events it never
/// read: the persister reports the gap (its log and its /health, which the dashboard shows: ReportedHealthCheckTests),
/// the api's reconciler produces the lost orders again, and every accepted order ends up in PostgreSQL.
/// </summary>
[Collection(RecoveryCollection.Name)]
public sealed class LogGapRecoveryTests(RecoveryGraphFixture fixture, ITestOutputHelper output) : IDisposable
{
    private readonly Shop _shop = new(fixture.App, output);

    public void Dispose() => _shop.Dispose();

    [Fact]
    public async Task A_persister_outage_longer_than_the_log_loses_no_accepted_order()
    {
        var graph = fixture.App;
        // Big events fill the partition sooner: the longest product id, and user ids and keys the JSON encoder
        // escapes ('<' becomes \u003C), about 1.7 KB per event.
        var productId = (Shop.NewProduct("gap") + new string('x', 64))[..64];
        var padding = new string('<', 96);
        await _shop.InitAsync(productId, 1_000_000);
        var warmUp = await _shop.OrderAsync(productId, Guid.NewGuid().ToString("N"));
        Assert.True(warmUp.Accepted, warmUp.ToString());
        await Eventually.UntilAsync(() => _shop.CountPersistedAsync([warmUp.OrderId!.Value]), count => count == 1, "the first order is persisted");
        await Eventually.UntilAsync(() => _shop.InvariantsAsync(productId), report => report.GetProperty("settled").GetBoolean(),
            "the persister has caught up");

        var before = _shop.Watermarks();
        await graph.KillResourceAsync(ResourceNames.Persister); // a crash; a graceful stop outlasts the orchestrator's stop timeout here

        // Until the log of some partition starts past where the persister stopped, by a margin.
        var logPassed = false;
        using var watch = new CancellationTokenSource();
        var watcher = Task.Run(async () =>
        {
            while (!watch.IsCancellationRequested && !logPassed)
            {
                logPassed = _shop.Watermarks().Any(partition => partition.Value.Low.Value > before[partition.Key].High.Value + 200);
                await Task.Delay(200);
            }
        });
        var started = DateTime.UtcNow;
        var attempts = await _shop.LoadAsync(productId, workers: 16,
            index => ($"{Guid.NewGuid():N}{padding}", ($"u{index}-{padding}{padding}")[..128]), () => logPassed, maxOrders: 20_000);
        await watch.CancelAsync();
        await watcher;
        var accepted = attempts.Where(attempt => attempt.Accepted).Select(attempt => attempt.OrderId!.Value).Append(warmUp.OrderId!.Value).ToList();
        output.WriteLine($"{attempts.Count} orders in {(DateTime.UtcNow - started).TotalSeconds:0.0} s, {accepted.Count} accepted; log passed the persister: {logPassed}");
        Assert.True(logPassed, "the load did not push the persister's position out of the log");
        Assert.All(attempts, attempt => Assert.True(attempt.Accepted, attempt.ToString()));

        await graph.StartResourceUntilRunningAsync(ResourceNames.Persister);

        // The gap is reported: in the persister's log, on its /health, and in the dashboard's view of its health.
        var gapLine = await Eventually.UntilAsync(() => Task.FromResult(graph.RecentLogs(5000).Split('\n').FirstOrDefault(line => line.Contains("Log gap on orders["))),
            line => line is not null, "the persister logs the gap");
        output.WriteLine($"{(DateTime.UtcNow - started).TotalSeconds:0.0} s: {gapLine}");
        using var persister = graph.CreateHttpClient(ResourceNames.Persister);
        var health = await Eventually.UntilAsync(() => GraphFixture.ReadHealthAsync(persister),
            report => report.Checks.GetValueOrDefault("consumer") == "Degraded", "the persister reports itself Degraded");
        Assert.Equal(HttpStatusCode.OK, health.Status);
        Assert.Contains("left the Kafka log", health.Body);
        output.WriteLine($"{(DateTime.UtcNow - started).TotalSeconds:0.0} s: reported Degraded on /health");

        // Every accepted order reaches PostgreSQL (the lost ones produced again by the api's reconciler), and the books agree.
        await Eventually.UntilAsync(() => _shop.CountPersistedAsync(accepted), count => count == accepted.Count,
            $"all {accepted.Count} accepted orders are in PostgreSQL", TimeSpan.FromSeconds(90));
        output.WriteLine($"{(DateTime.UtcNow - started).TotalSeconds:0.0} s: every accepted order is in PostgreSQL");
        var report = await _shop.UntilInvariantsHoldAsync(productId);
        Assert.Equal(accepted.Count, report.GetProperty("persisted").GetInt64());
        Assert.Contains(graph.RecentLogs(5000).Split('\n'), line => line.Contains("[api]") && line.Contains("again"));
        Assert.Empty(await _shop.KeysOrderedTwiceAsync(productId));
    }
}
