using FluxGate.DevHost.Resources;
using FluxGate.Tests.Infrastructure;
using StackExchange.Redis;
using Xunit.Abstractions;

namespace FluxGate.Tests.DevHost;

public sealed class RedisServerTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Starts_answers_stops_and_starts_again_on_the_same_port()
    {
        await using var redis = await RedisServer.StartAsync(new RedisServerOptions { OnOutput = TestOutputLog.Forward(output, "redis") });
        var port = redis.Port;
        Assert.Equal($"127.0.0.1:{port}", redis.ConnectionString);

        await using (var client = await ConnectionMultiplexer.ConnectAsync(redis.ConnectionString))
        {
            await client.GetDatabase().StringSetAsync("greeting", "hello");
            Assert.Equal("hello", (string?)await client.GetDatabase().StringGetAsync("greeting"));
        }

        await redis.StopAsync();
        Assert.False(redis.IsRunning);
        await Assert.ThrowsAsync<RedisConnectionException>(() =>
            ConnectionMultiplexer.ConnectAsync(new ConfigurationOptions { EndPoints = { redis.ConnectionString }, ConnectRetry = 0, ConnectTimeout = 1000 }));

        await redis.StartAsync();
        Assert.True(redis.IsRunning);
        Assert.Equal(port, redis.Port);
        await using (var client = await ConnectionMultiplexer.ConnectAsync(redis.ConnectionString))
        {
            // No persistence by default: a restarted server starts empty.
            Assert.False(await client.GetDatabase().KeyExistsAsync("greeting"));
            Assert.True(await client.GetDatabase().StringSetAsync("greeting", "again"));
        }
    }

    [Fact]
    public async Task A_killed_server_starts_again()
    {
        await using var redis = await RedisServer.StartAsync(new RedisServerOptions { OnOutput = TestOutputLog.Forward(output, "redis") });
        var identity = redis.Identity!;
        Assert.True(identity.IsStillRunning(redis.CommandLineMarker));

        await redis.KillAsync();
        Assert.False(redis.IsRunning);
        Assert.False(identity.IsStillRunning(redis.CommandLineMarker));

        await redis.StartAsync();
        await using var client = await ConnectionMultiplexer.ConnectAsync(redis.ConnectionString);
        Assert.True((await client.GetDatabase().PingAsync()) >= TimeSpan.Zero);
    }
}
