using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Aspire.Hosting;
using Aspire.Hosting.Testing;
using FluxGate.AppHost.Hosting;
using FluxGate.AppHost.Local;
using FluxGate.Tests.Infrastructure;
using Microsoft.Extensions.Configuration;
using StackExchange.Redis;
using Xunit.Abstractions;

namespace FluxGate.Tests.Cluster;

/// <summary>
/// The AppHost's local Redis Cluster alone (<c>FluxGate:BackingServicesOnly=redis</c>, <c>FluxGate:RedisTopology=Cluster</c>):
/// restarts keep the cluster and its data, and the switch is refused where it cannot hold.
/// </summary>
public sealed class LocalRedisClusterTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _stateDirectory = TempFolder.Create("fluxgate-redis-cluster-");

    [Fact]
    public async Task Restarts_keep_the_cluster_and_its_data_also_when_a_nodes_port_is_taken_meanwhile_and_a_kill_leaves_no_node()
    {
        Dictionary<string, string> keys;
        List<string> nodeIds;
        RedisClusterNode blocked;
        await using (var first = await LocalServerApp.StartRedisClusterAsync(_stateDirectory))
        {
            keys = await WriteKeyPerNodeAsync(first.ConnectionString);
            nodeIds = await NodeIdsAsync(first.ConnectionString);

            // The dashboard's Stop and Start: the same nodes, ports and data.
            await first.StopAsync();
            await first.StartAsync();
            await AssertClusterAsync(first.ConnectionString, nodeIds, keys);
            blocked = new RedisClusterNode(int.Parse(first.ConnectionString.Split(',')[1].Split(':')[1], CultureInfo.InvariantCulture), 0);
        }

        // A new AppHost on the same state folder, node-2's old port taken by someone else: it moves, and the nodes meet
        // again at their new addresses; no new cluster is created (same node ids, same data).
        using var squatter = new TcpListener(IPAddress.Loopback, blocked.Port);
        squatter.Start();
        await using var second = await LocalServerApp.StartRedisClusterAsync(_stateDirectory);
        output.WriteLine($"before: node-2 on {blocked.Address}; after: {second.ConnectionString}");
        Assert.DoesNotContain(blocked.Address, second.ConnectionString.Split(','));
        await AssertClusterAsync(second.ConnectionString, nodeIds, keys);

        // Killed (SIGKILL runs no trap), the script leaves no node behind: their parent-death signal stops them.
        var script = second.ProcessId;
        var nodes = ProcessTree.DescendantsOf(script).Where(pid => ProcessTree.CommandLine(pid).Contains("redis-server", StringComparison.Ordinal)).ToList();
        Assert.Equal(3, nodes.Count);
        ProcessTree.Signal(script, 9);
        await Eventually.UntilAsync(() => Task.FromResult(nodes.Count(ProcessTree.IsRunning)), alive => alive == 0, "every node is gone");
    }

    [Theory]
    [InlineData("nodes.conf: 0123abcd 127.0.0.1:7001@17001 myself,master - 0 0 1 connected 0-5460", 7001, 17001)]
    [InlineData("nodes.conf: 0123abcd 127.0.0.1:7001@17001,my-host myself,master - 0 0 1 connected 0-5460", 7001, 17001)]
    [InlineData("nodes.conf: 0123abcd :7002@17002 myself,master - 0 0 0 connected", 7002, 17002)]
    [InlineData("nodes.conf: 0123abcd :0@0 myself,master - 0 0 0 connected", null, null)]
    [InlineData("nodes.conf: 0123abcd 127.0.0.1:7001@17001 master - 0 0 1 connected 0-5460", null, null)]
    public void A_nodes_own_ports_are_read_from_its_nodes_conf(string line, int? port, int? busPort)
    {
        var file = Path.Combine(_stateDirectory, "nodes.conf");
        File.WriteAllLines(file, ["ffff 127.0.0.1:9999@19999 master - 0 0 2 connected 5461-10922", line["nodes.conf: ".Length..], "vars currentEpoch 3 lastVoteEpoch 0"]);

        var node = LocalRedisClusterExtensions.ReadOwnAddress(file);

        Assert.Equal(port, node?.Port);
        Assert.Equal(busPort, node?.BusPort);
    }

    [Theory]
    [InlineData("--ConnectionStrings:redis=127.0.0.1:7000,127.0.0.1:7001", "--FluxGate:BackingServices=Local", "ConnectionStrings:redis")]
    [InlineData("--FluxGate:BackingServices=Containers", "--FluxGate:Ports:Redis=7000", "FluxGate:BackingServices=Containers")]
    [InlineData("--FluxGate:BackingServices=Local", "--FluxGate:Ports:Redis=60000", "FluxGate:Ports:Redis=60000")]
    public async Task The_cluster_switch_is_refused_where_it_cannot_hold(string setting, string other, string named)
    {
        // The AppHost itself: its program refuses the combination while it builds the graph.
        var failure = await Assert.ThrowsAnyAsync<Exception>(() => DistributedApplicationTestingBuilder.CreateAsync<Projects.FluxGate_AppHost>(
            ["--FluxGate:RedisTopology=Cluster", $"--FluxGate:StateDirectory={_stateDirectory}", setting, other]));

        output.WriteLine(failure.ToString());
        var refusal = Assert.IsType<DistributedApplicationException>(Unwrap(failure));
        Assert.Contains(named, refusal.Message);
    }

    private static Exception Unwrap(Exception exception) =>
        exception is DistributedApplicationException || exception.InnerException is null ? exception : Unwrap(exception.InnerException);

    [Fact]
    public void An_unknown_topology_is_refused_like_any_bad_switch()
    {
        var configuration = new ConfigurationBuilder().AddCommandLine(["--FluxGate:RedisTopology=Sharded"]).Build();

        var failure = Assert.Throws<InvalidOperationException>(() => { configuration.GetSection(FluxGateHostOptions.Section).Get<FluxGateHostOptions>(); });

        Assert.Contains("FluxGate:RedisTopology", failure.Message);
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_stateDirectory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    /// <summary>A key on each master (by its hash tag's slot): key → value.</summary>
    private static async Task<Dictionary<string, string>> WriteKeyPerNodeAsync(string connectionString)
    {
        await using var redis = await ConnectionMultiplexer.ConnectAsync(connectionString);
        var keys = new Dictionary<string, string>();
        var nodes = new HashSet<string>();
        for (var i = 0; nodes.Count < 3; i++)
        {
            Assert.True(i < 1000, "1000 keys and not one per node");
            var key = $"fg:{{restart-{i}}}:stock";
            if (nodes.Add(redis.GetServer((RedisKey)key).EndPoint.ToString()!))
            {
                keys[key] = $"value-{i}";
                Assert.True(await redis.GetDatabase().StringSetAsync(key, keys[key]));
            }
        }
        return keys;
    }

    /// <summary>Each node's id (CLUSTER MYID), in the connection string's order.</summary>
    private static async Task<List<string>> NodeIdsAsync(string connectionString)
    {
        var ids = new List<string>();
        foreach (var node in connectionString.Split(','))
        {
            await using var single = await ConnectionMultiplexer.ConnectAsync($"{node},allowAdmin=true");
            ids.Add((string)(await single.GetServer(node).ExecuteAsync("CLUSTER", "MYID"))!);
        }
        return ids;
    }

    private async Task AssertClusterAsync(string connectionString, List<string> nodeIds, Dictionary<string, string> keys)
    {
        Assert.Equal(nodeIds, await NodeIdsAsync(connectionString));
        foreach (var node in connectionString.Split(','))
        {
            await using var single = await ConnectionMultiplexer.ConnectAsync($"{node},allowAdmin=true");
            var info = (string)(await single.GetServer(node).ExecuteAsync("CLUSTER", "INFO"))!;
            output.WriteLine($"{node}: {info.ReplaceLineEndings(" ")}");
            Assert.Contains("cluster_state:ok", info);
            Assert.Contains("cluster_known_nodes:3", info);
        }
        await using var redis = await ConnectionMultiplexer.ConnectAsync(connectionString);
        foreach (var (key, value) in keys)
        {
            Assert.Equal(value, (string?)await redis.GetDatabase().StringGetAsync(key));
        }
    }
}
