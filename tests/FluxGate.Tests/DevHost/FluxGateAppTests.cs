using System.Net;
using FluxGate.DevHost;
using FluxGate.DevHost.Resources;
using FluxGate.Tests.Infrastructure;
using Xunit.Abstractions;

namespace FluxGate.Tests.DevHost;

/// <summary>Graphs of their own (parts of the whole) for what the shared graph cannot show.</summary>
public sealed class FluxGateAppTests(ITestOutputHelper output)
{
    [Fact]
    public async Task A_resource_given_by_connection_string_is_used_and_not_started()
    {
        await using var externalRedis = await RedisServer.StartAsync(new RedisServerOptions { OnOutput = TestOutputLog.Forward(output, "external-redis") });

        await using var app = await FluxGateApp.StartAsync(new DevHostOptions
        {
            Resources = DevHostResources.Redis | DevHostResources.WaitingRoom,
            RedisConnectionString = externalRedis.ConnectionString,
            OnLog = line => TestOutputLog.Forward(output, line.Resource)(line.Text, line.IsError),
        });

        Assert.Null(app.Redis);
        Assert.Equal(externalRedis.ConnectionString, app.GetConnectionString("redis"));
        using var waitingRoom = app.CreateHttpClient(ResourceNames.WaitingRoom);
        var health = await GraphFixture.ReadHealthAsync(waitingRoom);
        Assert.Equal(HttpStatusCode.OK, health.Status);
        Assert.Equal("Healthy", health.Checks["redis"]);
        await Assert.ThrowsAsync<InvalidOperationException>(() => app.StopResourceAsync(ResourceNames.Redis));
    }

    [Fact]
    public async Task A_start_in_the_state_folder_of_a_host_that_died_stops_the_servers_it_left_running()
    {
        var stateDirectory = Directory.CreateTempSubdirectory("fluxgate-devhost-test-").FullName;
        try
        {
            // The first host is never disposed, as when it is killed: its redis-server keeps running.
            var crashed = await FluxGateApp.StartAsync(new DevHostOptions { Resources = DevHostResources.Redis, StateDirectory = stateDirectory });
            var orphan = crashed.Redis!.Identity!;
            Assert.True(orphan.IsStillRunning("redis-server"));

            await using var next = await FluxGateApp.StartAsync(new DevHostOptions { Resources = DevHostResources.Redis, StateDirectory = stateDirectory });

            Assert.False(orphan.IsStillRunning("redis-server"));
            Assert.True(next.Redis!.IsRunning);
            await crashed.DisposeAsync();
        }
        finally
        {
            Directory.Delete(stateDirectory, recursive: true);
        }
    }

    [Fact]
    public async Task A_service_without_what_it_references_is_refused_up_front()
    {
        var error = await Assert.ThrowsAsync<ArgumentException>(() => FluxGateApp.StartAsync(new DevHostOptions
        {
            Resources = DevHostResources.Api | DevHostResources.Redis,
        }));

        Assert.Contains("api needs kafka and postgres", error.Message);
    }
}
