using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using FluxGate.AppHost;
using FluxGate.Tests.Infrastructure;
using Xunit.Abstractions;

namespace FluxGate.Tests.Replicas;

/// <summary>A scheduled sale opens by itself on Redis's clock, at every api process alike.</summary>
[Collection(ReplicaGraphCollection.Name)]
public sealed class ScheduledDropReplicaTests(ReplicaGraphFixture graph, ITestOutputHelper output)
{
    [Fact]
    public Task The_sale_opens_within_a_second_of_its_start_at_every_api_process_and_sells_nothing_before() =>
        graph.WithLogsOnFailureAsync(output, async () =>
        {
            using var proxy = graph.App.CreateHttpClient(ResourceNames.Api);
            var apis = graph.ReplicasOf[ResourceNames.Api].Select(graph.CreateReplicaClient).ToList();
            var productId = $"drop-{Guid.NewGuid():N}"[..24];
            var startsAt = DateTimeOffset.UtcNow.AddSeconds(4);
            using (var init = await proxy.PostAsJsonAsync("/init", new
                   {
                       productId,
                       quantity = 1_000,
                       startsAt = startsAt.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture),
                   }))
            {
                Assert.Equal(HttpStatusCode.OK, init.StatusCode);
            }

            // Each process is asked every 50 ms, each time by a new shopper, until it sells.
            var opened = await Task.WhenAll(apis.Select(async api =>
            {
                var deadline = startsAt.AddSeconds(10);
                for (var i = 0; DateTimeOffset.UtcNow < deadline; i++)
                {
                    var sent = DateTimeOffset.UtcNow;
                    var answer = await api.OrderAsync(new { productId, userId = $"{api.BaseAddress!.Port}-{i}" }, idempotencyKey: Guid.NewGuid().ToString());
                    var answered = DateTimeOffset.UtcNow;
                    if (answer.Status == HttpStatusCode.OK)
                    {
                        Assert.True(answered >= startsAt, $"{api.BaseAddress} sold at {answered:O}, before the start {startsAt:O}");
                        return sent;
                    }
                    Assert.True(answer.Status == HttpStatusCode.Redirect, $"{api.BaseAddress} before the start: {answer}");
                    await Task.Delay(50);
                }
                throw new TimeoutException($"{api.BaseAddress} never opened the sale");
            }));

            foreach (var (api, first) in apis.Zip(opened))
            {
                output.WriteLine($"{api.BaseAddress}: first sale sent {(first - startsAt).TotalMilliseconds:F0} ms after the start");
                Assert.True(first - startsAt < TimeSpan.FromSeconds(1), $"{api.BaseAddress} opened {(first - startsAt).TotalMilliseconds:F0} ms late");
            }
            foreach (var api in apis)
            {
                api.Dispose();
            }
        });
}
