using System.Net;
using FluxGate.DevHost;
using FluxGate.Tests.Infrastructure;
using Xunit.Abstractions;

namespace FluxGate.Tests.DevHost;

/// <summary>The graph is up and wired: each service reaches exactly the dependencies the AppHost gives it.</summary>
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
                if (graph.App.Redis is { IsRunning: false })
                {
                    await graph.App.StartResourceAsync(ResourceNames.Redis);
                }
                await graph.WaitUntilHealthyAsync();
            }
        });

    [Fact]
    public void Connection_strings_and_endpoints_are_exposed()
    {
        Assert.Equal(graph.App.Redis!.ConnectionString, graph.App.GetConnectionString("redis"));
        Assert.Equal(graph.App.Kafka!.BootstrapServers, graph.App.GetConnectionString("kafka"));
        Assert.Contains("Database=fluxgate", graph.App.GetConnectionString("fluxgate"));
        Assert.Equal(graph.App.GetConnectionString("fluxgate"), graph.App.GetConnectionString("postgres"));
        Assert.All(ResourceNames.Services, service => Assert.Equal("127.0.0.1", graph.App.GetEndpoint(service).Host));
        Assert.Null(graph.App.AdminApiKey);
    }
}
