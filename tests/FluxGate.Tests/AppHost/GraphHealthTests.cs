using System.Net;
using FluxGate.AppHost;
using FluxGate.Tests.Infrastructure;
using Xunit.Abstractions;

namespace FluxGate.Tests.AppHost;

/// <summary>The graph the AppHost starts is up and wired: each service reaches exactly the dependencies it is given.</summary>
[Collection(GraphCollection.Name)]
public sealed class GraphHealthTests(GraphFixture graph, ITestOutputHelper output)
{
    [Theory]
    [InlineData(ResourceNames.Api, new[] { "redis", "kafka", "fluxgate" })]
    [InlineData(ResourceNames.Persister, new[] { "kafka", "fluxgate" })]
    [InlineData(ResourceNames.WaitingRoom, new[] { "redis" })]
    public Task Each_service_is_healthy_and_reports_its_dependencies(string service, string[] dependencies) =>
        graph.WithLogsOnFailureAsync(output, async () =>
        {
            using var client = graph.App.CreateHttpClient(service);

            var health = await GraphFixture.ReadHealthAsync(client);

            Assert.Equal(HttpStatusCode.OK, health.Status);
            Assert.Equal("Healthy", health.OverallStatus);
            foreach (var dependency in dependencies)
            {
                Assert.True(health.Checks.TryGetValue(dependency, out var status), $"{service} has no '{dependency}' check: {health.Body}");
                Assert.Equal("Healthy", status);
            }
        });

    [Fact]
    public Task Stopping_redis_makes_the_api_unhealthy_and_starting_it_again_makes_it_healthy() =>
        graph.WithLogsOnFailureAsync(output, async () =>
        {
            using var api = graph.App.CreateHttpClient(ResourceNames.Api);
            try
            {
                await graph.App.StopResourceAsync(ResourceNames.Redis);

                var down = await Eventually.UntilAsync(() => GraphFixture.ReadHealthAsync(api),
                    health => health.Status == HttpStatusCode.ServiceUnavailable, "the api reports redis down");
                Assert.Equal("Unhealthy", down.Checks["redis"]);
                Assert.Equal("Healthy", down.Checks["kafka"]);

                await graph.App.StartResourceAsync(ResourceNames.Redis);

                var up = await Eventually.UntilAsync(() => GraphFixture.ReadHealthAsync(api),
                    health => health.Status == HttpStatusCode.OK, "the api reports redis back");
                Assert.Equal("Healthy", up.Checks["redis"]);
            }
            finally
            {
                // The graph is shared by the collection: leave it whole for the next test.
                if (!graph.App.IsRunning(ResourceNames.Redis))
                {
                    await graph.App.StartResourceAsync(ResourceNames.Redis);
                }
                await graph.WaitUntilHealthyAsync();
            }
        });

    [Fact]
    public void Connection_strings_and_endpoints_are_exposed()
    {
        Assert.Matches(@"^127\.0\.0\.1:\d+$", graph.App.GetConnectionString(ResourceNames.Redis));
        Assert.Equal(graph.App.Kafka.BootstrapServers, graph.App.GetConnectionString(ResourceNames.Kafka));
        Assert.Matches(@"^Host=127\.0\.0\.1;Port=\d+;Username=postgres;Database=fluxgate$", graph.App.GetConnectionString(ResourceNames.Database));
        Assert.All(ResourceNames.Services, service => Assert.Equal("http", graph.App.GetEndpoint(service).Scheme));
        Assert.Null(graph.App.AdminApiKey);
    }

    [Fact]
    public Task Every_resource_log_reaches_the_fixture() =>
        Eventually.UntilAsync(() => Task.FromResult(graph.RecentLogs(5000)),
            logs => new[] { "[api]", "[persister]", "[waitingroom]", "[redis]", "[postgres]", "[kafka]" }.All(logs.Contains),
            "every resource's log lines are collected (shown for a failed test)");
}
