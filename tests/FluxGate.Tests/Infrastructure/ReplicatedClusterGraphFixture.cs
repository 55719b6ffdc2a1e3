using System.Diagnostics;
using System.Globalization;
using FluxGate.Api.Redis;

namespace FluxGate.Tests.Infrastructure;

/// <summary>Tests that fail Redis masters over: <c>[Collection(ReplicatedClusterGraphCollection.Name)]</c>.</summary>
[CollectionDefinition(Name)]
public sealed class ReplicatedClusterGraphCollection : ICollectionFixture<ReplicatedClusterGraphFixture>
{
    public const string Name = "replicated cluster graph";
}

/// <summary>
/// The whole FluxGate graph with <c>redis</c> a local Redis Cluster of three masters with one replica each
/// (<c>FluxGate:RedisReplicas=1</c>: failover after the 2 s node timeout, a killed node started again as a replica), and
/// no practical rate limit.
/// </summary>
public sealed class ReplicatedClusterGraphFixture() : GraphFixture(Options)
{
    public static readonly GraphOptions Options = ClusterGraphFixture.Options with
    {
        Configuration = new Dictionary<string, string>(ClusterGraphFixture.Options.Configuration) { ["FluxGate:RedisReplicas"] = "1" },
    };

    /// <summary>Every node of the cluster, as the connection string lists them.</summary>
    public IReadOnlyList<string> Nodes => App.GetConnectionString("redis").Split(',');

    /// <summary>
    /// The node serving the slot of the keys tagged <paramref name="hashTag"/> (a product id) now and its process id, as
    /// the other nodes see it (asked one by one with <c>redis-cli</c>, so a frozen node only costs its own time-out).
    /// </summary>
    public async Task<(string Address, int ProcessId)> MasterOfAsync(string hashTag)
    {
        var slot = FluxGate.Api.Redis.RedisHashSlot.Of(hashTag);
        foreach (var node in Nodes)
        {
            if (MasterOfSlot(await RedisCliAsync(node, "cluster", "nodes"), slot) is not { } address)
            {
                continue;
            }
            var info = await RedisCliAsync(address, "info", "server");
            var pid = info.Split('\n').Select(line => line.Trim()).FirstOrDefault(line => line.StartsWith("process_id:", StringComparison.Ordinal));
            if (pid is not null)
            {
                return (address, int.Parse(pid["process_id:".Length..], CultureInfo.InvariantCulture));
            }
        }
        throw new InvalidOperationException($"No node names a master of slot {slot}.");
    }

    /// <summary>What <c>redis-cli</c> prints for one command to <paramref name="node"/>; empty when it does not answer in 2 s.</summary>
    public static async Task<string> RedisCliAsync(string node, params string[] command)
    {
        var (host, port) = (node[..node.LastIndexOf(':')], node[(node.LastIndexOf(':') + 1)..]);
        var start = new ProcessStartInfo("timeout", ["2", "redis-cli", "-h", host, "-p", port, .. command])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(start)!;
        var output = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        return output;
    }

    /// <summary>The address of the connected master line of <paramref name="clusterNodes"/> that serves <paramref name="slot"/>.</summary>
    public static string? MasterOfSlot(string clusterNodes, int slot)
    {
        foreach (var line in clusterNodes.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var fields = line.Split(' ');
            if (fields.Length < 9 || !fields[2].Split(',').Contains("master") || fields[2].Contains("fail", StringComparison.Ordinal))
            {
                continue;
            }
            foreach (var range in fields[8..].Where(range => !range.StartsWith('[')))
            {
                var bounds = range.Split('-');
                var (first, last) = (int.Parse(bounds[0], CultureInfo.InvariantCulture), int.Parse(bounds[^1], CultureInfo.InvariantCulture));
                if (slot >= first && slot <= last)
                {
                    return fields[1].Split('@')[0];
                }
            }
        }
        return null;
    }
}
