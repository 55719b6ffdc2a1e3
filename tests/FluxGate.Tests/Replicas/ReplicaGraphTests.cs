using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using FluxGate.AppHost;
using FluxGate.Tests.Infrastructure;
using FluxGate.Tests.Persister;
using Npgsql;
using Xunit.Abstractions;

namespace FluxGate.Tests.Replicas;

/// <summary>
/// The AppHost with two api, two persister and two waiting-room processes: each service answers on one port through
/// Aspire's proxy, and none of them assumes it is alone (a duplicate order is caught by another api process, a ticket
/// taken at one room is good at the other, the persisters share the topic's partitions).
/// </summary>
[Collection(ReplicaGraphCollection.Name)]
public sealed partial class ReplicaGraphTests(ReplicaGraphFixture graph, ITestOutputHelper output)
{
    [Theory]
    [InlineData(ResourceNames.Api)]
    [InlineData(ResourceNames.Persister)]
    [InlineData(ResourceNames.WaitingRoom)]
    public Task Each_service_runs_two_processes_behind_one_proxied_port(string service) => graph.WithLogsOnFailureAsync(output, async () =>
    {
        var replicas = graph.ReplicasOf[service];
        var proxy = graph.App.GetEndpoint(service);

        Assert.Equal(ReplicaGraphFixture.Replicas, replicas.Count);
        Assert.Equal(replicas.Count, replicas.Select(replica => replica.ProcessId).Distinct().Count());
        Assert.All(replicas, replica => Assert.False(Process.GetProcessById(replica.ProcessId!.Value).HasExited));
        // Each replica listens on a port of its own; the service's port is the proxy's.
        Assert.Equal(replicas.Count, replicas.Select(replica => replica.Url!.Port).Distinct().Count());
        Assert.DoesNotContain(proxy.Port, replicas.Select(replica => replica.Url!.Port));
        foreach (var replica in replicas)
        {
            using var direct = graph.CreateReplicaClient(replica);
            Assert.Equal(HttpStatusCode.OK, (await GraphFixture.ReadHealthAsync(direct)).Status);
        }
        using var proxied = graph.App.CreateHttpClient(service);
        Assert.Equal(HttpStatusCode.OK, (await GraphFixture.ReadHealthAsync(proxied)).Status);

        // endpoints.json: the proxy as the service's address, and each process's own.
        var endpoints = await Eventually.UntilAsync(() => ReadEndpointsFileAsync(), file => file is not null, "endpoints.json is written");
        Assert.Equal(proxy.ToString().TrimEnd('/'), endpoints!.Value.GetProperty(service).GetString());
        Assert.Equal(replicas.Select(replica => replica.Url!.ToString().TrimEnd('/')).Order(),
            endpoints.Value.GetProperty("replicas").GetProperty(service).EnumerateArray().Select(url => url.GetString()!).Order());
    });

    private async Task<JsonElement?> ReadEndpointsFileAsync()
    {
        var path = Path.Combine(graph.App.StateDirectory, "endpoints.json");
        return File.Exists(path) ? JsonDocument.Parse(await File.ReadAllTextAsync(path)).RootElement.Clone() : null;
    }

    [Fact]
    public Task The_spec_flow_answers_through_the_proxy_and_a_duplicate_is_caught_by_the_other_api_process() =>
        graph.WithLogsOnFailureAsync(output, async () =>
        {
            using var proxy = graph.App.CreateHttpClient(ResourceNames.Api);
            using var first = graph.CreateReplicaClient(graph.ReplicasOf[ResourceNames.Api][0]);
            using var second = graph.CreateReplicaClient(graph.ReplicasOf[ResourceNames.Api][1]);
            var productId = $"replicas-{Guid.NewGuid():N}"[..24];

            using (var init = await proxy.PostAsJsonAsync("/init", new { productId, quantity = 3 }))
            {
                Assert.Equal(HttpStatusCode.OK, init.StatusCode);
                Assert.Equal($$"""{"status":"ok","msg":"Stock initialized for {{productId}} to 3"}""", await init.Content.ReadAsStringAsync());
            }

            // Through the proxy: the order, then its duplicate (the proxy may send either to either process).
            var key = Guid.NewGuid().ToString();
            var accepted = await OrderAsync(proxy, productId, key);
            Assert.Equal((HttpStatusCode.OK, "success", "Order accepted"), (accepted.Status, accepted.Field("status"), accepted.Field("msg")));
            var duplicate = await OrderAsync(proxy, productId, key);
            Assert.Equal((HttpStatusCode.OK, "ignored", "Duplicate request"), (duplicate.Status, duplicate.Field("status"), duplicate.Field("msg")));
            Assert.Equal(accepted.Field("orderId"), duplicate.Field("orderId"));

            // Past the proxy: one process takes the order, the other one sees its duplicate.
            var otherKey = Guid.NewGuid().ToString();
            var acceptedByFirst = await OrderAsync(first, productId, otherKey, userId: "user-7");
            Assert.Equal("success", acceptedByFirst.Field("status"));
            var duplicateAtSecond = await OrderAsync(second, productId, otherKey, userId: "user-7");
            Assert.Equal((HttpStatusCode.OK, "ignored"), (duplicateAtSecond.Status, duplicateAtSecond.Field("status")));
            Assert.Equal(acceptedByFirst.Field("orderId"), duplicateAtSecond.Field("orderId"));

            // The stock is one: the last unit sells at one process, the next order is sold out at the other.
            Assert.Equal("success", (await OrderAsync(second, productId, Guid.NewGuid().ToString(), userId: "user-8")).Field("status"));
            var soldOut = await OrderAsync(first, productId, Guid.NewGuid().ToString(), userId: "user-9");
            Assert.Equal((HttpStatusCode.Conflict, """{"status":"sold_out","msg":"Inventory empty"}"""), (soldOut.Status, soldOut.Text));

            // And the three orders reach PostgreSQL once each, whichever persister holds their partition.
            await using var database = NpgsqlDataSource.Create(graph.App.GetConnectionString(ResourceNames.Database));
            await Eventually.UntilAsync(() => database.OrderCountAsync(productId), count => count >= 3, "the orders are persisted");
            Assert.Equal(3, await database.OrderCountAsync(productId));
            Assert.Equal((0, 3), await database.ProductAsync(productId));
        });

    [Fact]
    public Task A_ticket_taken_at_one_room_is_good_at_the_other_and_its_order_goes_through() =>
        graph.WithLogsOnFailureAsync(output, async () =>
        {
            using var api = graph.App.CreateHttpClient(ResourceNames.Api);
            using var roomA = graph.CreateReplicaClient(graph.ReplicasOf[ResourceNames.WaitingRoom][0]);
            using var roomB = graph.CreateReplicaClient(graph.ReplicasOf[ResourceNames.WaitingRoom][1]);
            var productId = $"replicas-{Guid.NewGuid():N}"[..24];
            using (var init = await api.PostAsJsonAsync("/init", new { productId, quantity = 5 }))
            {
                Assert.Equal(HttpStatusCode.OK, init.StatusCode);
            }
            var key = Guid.NewGuid().ToString();

            var joined = await roomA.SendAsync(HttpMethod.Post, $"/api/queue/{productId}/join", new { userId = "user-q", idempotencyKey = key });
            Assert.Equal(HttpStatusCode.OK, joined.Status);
            var ticket = joined.Field("ticket")!;
            var rejoined = await roomB.SendAsync(HttpMethod.Post, $"/api/queue/{productId}/join", new { userId = "user-q", idempotencyKey = key });
            Assert.Equal(ticket, rejoined.Field("ticket"));
            Assert.True(rejoined.Body.GetProperty("rejoined").GetBoolean());

            var served = await Eventually.UntilAsync(() => roomB.SendAsync(HttpMethod.Get, $"/api/queue/{productId}/tickets/{ticket}"),
                answer => answer.Field("status") == "served", "the ticket is served, as room B sees it");
            Assert.Equal(joined.Body.GetProperty("ticketNumber").GetInt64(), served.Body.GetProperty("ticketNumber").GetInt64());

            var order = await roomB.SendAsync(HttpMethod.Post, $"/api/queue/{productId}/tickets/{ticket}/order", new { userId = "user-q", idempotencyKey = key });
            Assert.Equal((HttpStatusCode.OK, "success"), (order.Status, order.Field("status")));
            var again = await roomA.SendAsync(HttpMethod.Post, $"/api/queue/{productId}/tickets/{ticket}/order", new { userId = "user-q", idempotencyKey = key });
            Assert.Equal((HttpStatusCode.OK, "ignored"), (again.Status, again.Field("status")));
            Assert.Equal(order.Field("orderId"), again.Field("orderId"));
        });

    [Fact]
    public Task The_two_persisters_share_the_six_partitions_of_the_orders_topic() => graph.WithLogsOnFailureAsync(output, async () =>
    {
        var persisters = graph.ReplicasOf[ResourceNames.Persister];

        var assigned = await Eventually.UntilAsync(async () =>
            {
                var latest = new List<IReadOnlyList<string>>();
                foreach (var persister in persisters)
                {
                    var log = await graph.LogOfAsync(persister);
                    var last = log.Select(line => Assigned().Match(line)).LastOrDefault(match => match.Success);
                    latest.Add(last is null ? [] : Partitions().Matches(last.Groups["partitions"].Value).Select(partition => partition.Value).ToList());
                }
                return latest;
            },
            latest => latest.All(partitions => partitions.Count > 0) && latest.Sum(partitions => partitions.Count) == 6,
            "each persister holds a share of the six partitions", TimeSpan.FromSeconds(60));

        output.WriteLine(string.Join(Environment.NewLine, persisters.Zip(assigned, (persister, partitions) =>
            $"{persister.ResourceId} (pid {persister.ProcessId}): {string.Join(", ", partitions)}")));
        Assert.Equal(6, assigned.SelectMany(partitions => partitions).Distinct().Count());
    });

    private static Task<ShopperAnswer> OrderAsync(HttpClient api, string productId, string key, string userId = "user-42") =>
        api.OrderAsync(new { productId, userId }, idempotencyKey: key);

    [GeneratedRegex(@"Assigned (?<count>\d+) partitions: (?<partitions>.*)$")]
    private static partial Regex Assigned();

    [GeneratedRegex(@"\d+")]
    private static partial Regex Partitions();
}
