using System.Diagnostics;
using System.Net;
using FluxGate.Api.Options;
using FluxGate.Api.Orders;
using FluxGate.Api.Redis;
using FluxGate.Clients;
using FluxGate.Contracts;
using FluxGate.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;
using StackExchange.Redis;
using MsOptions = Microsoft.Extensions.Options.Options;

namespace FluxGate.Tests.Api;

/// <summary>
/// A reservation is on a replica before the api acts on it: on a master with a replica each script call is followed by
/// WAIT on the same connection, and a call whose writes no replica acknowledged in time fails as a Redis fault.
/// </summary>
public sealed class ReplicaAcknowledgementTests(ReplicatedRedisFixture replicated) : IClassFixture<ReplicatedRedisFixture>
{
    private static readonly Shopper Anyone = Shopper.Anonymous("user", IPAddress.Loopback);

    private static GateScripts Scripts(int? replicas = null, TimeSpan? timeout = null) => new(new ReplicaAcknowledgement(
        MsOptions.Create(new ReplicaAcknowledgementOptions { Replicas = replicas, Timeout = timeout ?? TimeSpan.FromSeconds(1) }),
        NullLogger<ReplicaAcknowledgement>.Instance));

    private async Task<string> InitAsync(IConnectionMultiplexer redis, long stock)
    {
        var productId = $"p-{Guid.NewGuid():N}";
        await redis.GetDatabase().StringSetAsync(RedisKeys.Stock(productId), stock);
        return productId;
    }

    private static long Waits(IConnectionMultiplexer redis)
    {
        var stats = redis.GetServers()[0].Info("commandstats").SelectMany(group => group).ToDictionary(pair => pair.Key, pair => pair.Value);
        return stats.TryGetValue("cmdstat_wait", out var value) ? long.Parse(value.Split(',')[0]["calls=".Length..]) : 0;
    }

    [Fact]
    public async Task On_a_master_with_a_replica_the_reservation_is_on_the_replica_when_the_decision_returns()
    {
        var redis = replicated.Connection;
        var productId = await InitAsync(redis, 10);
        var gate = TestGates.Create(redis, Scripts());
        var waitsBefore = Waits(redis);

        for (var i = 0; i < 5; i++)
        {
            var decision = await gate.DecideAsync(productId, $"key-{i}", null, Anyone);

            Assert.Equal(OrderDecisionKind.Reserved, decision.Kind);
            Assert.Equal($"p:{decision.OrderId:N}", (string?)await replicated.ReadOnReplicaAsync(RedisKeys.Idempotency(productId, $"key-{i}")));
        }
        Assert.Equal(5, Waits(redis) - waitsBefore);
        Assert.Equal("5", (string?)await replicated.ReadOnReplicaAsync(RedisKeys.Stock(productId)));
    }

    [Fact]
    public async Task A_call_no_replica_acknowledges_in_time_fails_as_a_redis_fault_and_the_next_one_succeeds()
    {
        var redis = replicated.Connection;
        var productId = await InitAsync(redis, 10);
        var gate = TestGates.Create(redis, Scripts(timeout: TimeSpan.FromMilliseconds(300)));
        Assert.Equal(OrderDecisionKind.Reserved, (await gate.DecideAsync(productId, "before", null, Anyone)).Kind);

        ProcessTree.Signal(replicated.ReplicaProcessId, ProcessTree.SigStop);
        Exception failure;
        var clock = Stopwatch.StartNew();
        try
        {
            failure = await Assert.ThrowsAsync<ReplicaAcknowledgementException>(() => gate.DecideAsync(productId, "frozen", null, Anyone));
        }
        finally
        {
            ProcessTree.Signal(replicated.ReplicaProcessId, ProcessTree.SigCont);
        }

        Assert.InRange(clock.Elapsed, TimeSpan.FromMilliseconds(250), TimeSpan.FromSeconds(4));
        Assert.Equal(DependencyFaults.Redis, DependencyFaults.Of(failure)); // the spec's 500, as for any Redis failure
        Assert.Equal(OrderDecisionKind.Reserved, (await gate.DecideAsync(productId, "after", null, Anyone)).Kind);
    }

    [Fact]
    public async Task A_redis_that_refuses_ROLE_is_not_waited_for_and_orders_go_on()
    {
        var port = ReplicatedRedisFixture.FreePort();
        using var server = Process.Start(new ProcessStartInfo("redis-server",
            ["--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                "--rename-command", "ROLE", ""])
        {
            RedirectStandardOutput = true,
        })!;
        try
        {
            await using var redis = await ConnectionMultiplexer.ConnectAsync($"127.0.0.1:{port},abortConnect=false");
            await Eventually.UntilAsync(() => redis.GetDatabase().PingAsync(), _ => true, "redis answers");
            var productId = await InitAsync(redis, 10);

            var decision = await TestGates.Create(redis, Scripts()).DecideAsync(productId, "k", null, Anyone);

            Assert.Equal(OrderDecisionKind.Reserved, decision.Kind);
        }
        finally
        {
            server.Kill();
            await server.WaitForExitAsync();
        }
    }

    [Fact]
    public async Task A_redis_without_replicas_is_not_waited_for_unless_replicas_are_required()
    {
        await using var single = await LocalServerApp.StartRedisAsync();
        await using var redis = await ConnectionMultiplexer.ConnectAsync($"{single.ConnectionString},allowAdmin=true");
        var productId = await InitAsync(redis, 10);

        var automatic = TestGates.Create(redis, Scripts());
        Assert.Equal(OrderDecisionKind.Reserved, (await automatic.DecideAsync(productId, "auto", null, Anyone)).Kind);
        Assert.Equal(0, Waits(redis));

        var required = TestGates.Create(redis, Scripts(replicas: 1, timeout: TimeSpan.FromMilliseconds(100)));
        var failure = await Assert.ThrowsAsync<ReplicaAcknowledgementException>(() => required.DecideAsync(productId, "required", null, Anyone));
        Assert.Contains("0 of 1 replica", failure.Message);
    }
}
