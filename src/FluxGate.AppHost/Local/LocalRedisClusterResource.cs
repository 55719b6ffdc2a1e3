using System.Globalization;
using System.Net;
using FluxGate.AppHost.Hosting;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using StackExchange.Redis;

namespace FluxGate.AppHost.Local;

/// <summary>One node of the local Redis Cluster: its client port and its cluster bus port, on 127.0.0.1.</summary>
public sealed record RedisClusterNode(int Port, int BusPort)
{
    public string Address => $"127.0.0.1:{Port}";
}

/// <summary>
/// A real Redis Cluster (Debian packages <c>redis-server</c>, <c>redis-tools</c>) run by Aspire as one local process:
/// <c>redis-cluster.sh</c> runs a <c>redis-server --cluster-enabled yes</c> per node and joins them once, with
/// <see cref="ReplicasPerMaster"/> replicas per master. Its connection string lists every node; StackExchange.Redis
/// discovers the cluster from them.
/// </summary>
public sealed class LocalRedisClusterResource(string name, string dataDirectory, IReadOnlyList<RedisClusterNode> nodes, int replicasPerMaster)
    : ExecutableResource(name, "bash", dataDirectory), IResourceWithConnectionString
{
    /// <summary>Three masters: the fewest <c>redis-cli --cluster create</c> accepts.</summary>
    public const int Masters = 3;

    /// <summary>With replicas: how long a master may be unreachable before its replica takes over (cluster-node-timeout).</summary>
    public const int ReplicatedNodeTimeoutMs = 2000;

    /// <summary>Without replicas no one takes over, so the timeout only decides when the cluster reports a node failing.</summary>
    public const int NodeTimeoutMs = 5000;

    public IReadOnlyList<RedisClusterNode> Nodes { get; } = nodes;

    public int ReplicasPerMaster { get; } = replicasPerMaster;

    /// <summary>The endpoint of the node at <paramref name="index"/>: <c>node1</c>, <c>node2</c>, …</summary>
    public static string EndpointName(int index) => $"node{index + 1}";

    /// <summary>For health checks, which run before any endpoint expression is resolved.</summary>
    public string ConnectionString => string.Join(',', Nodes.Select(node => node.Address));

    public ReferenceExpression ConnectionStringExpression
    {
        get
        {
            var expression = new ReferenceExpressionBuilder();
            for (var index = 0; index < Nodes.Count; index++)
            {
                if (index > 0)
                {
                    expression.AppendLiteral(",");
                }
                var endpoint = new EndpointReference(this, EndpointName(index));
                expression.Append($"{endpoint.Property(EndpointProperty.IPV4Host)}:{endpoint.Property(EndpointProperty.Port)}");
            }
            return expression.Build();
        }
    }
}

public static class LocalRedisClusterExtensions
{
    /// <summary>
    /// A Redis Cluster of <see cref="LocalRedisClusterResource.Masters"/> masters on 127.0.0.1, each with
    /// <paramref name="replicasPerMaster"/> replicas (automatic failover after
    /// <see cref="LocalRedisClusterResource.ReplicatedNodeTimeoutMs"/>; a node that exits is started again and rejoins as a
    /// replica), each node's data (append-only file, <c>nodes.conf</c>) in <c>node-N</c> under <paramref name="dataDirectory"/>.
    /// Healthy when every node reports <c>cluster_state:ok</c> and sees the others. With <paramref name="port"/> 0 the
    /// nodes keep the ports their <c>nodes.conf</c> records where these are free, else take free ones; else they are
    /// <paramref name="port"/>, +1, +2, …, their cluster buses 10000 above.
    /// </summary>
    public static IResourceBuilder<LocalRedisClusterResource> AddLocalRedisCluster(this IDistributedApplicationBuilder builder,
        string name, string dataDirectory, int port, int replicasPerMaster = 0)
    {
        Directory.CreateDirectory(dataDirectory);
        var nodes = ChooseNodes(dataDirectory, port, LocalRedisClusterResource.Masters * (1 + replicasPerMaster));
        var cluster = new LocalRedisClusterResource(name, dataDirectory, nodes, replicasPerMaster);
        var healthCheckKey = $"{name}_check";
        builder.Services.AddHealthChecks().Add(new HealthCheckRegistration(
            healthCheckKey, _ => new RedisClusterHealthCheck(nodes), failureStatus: null, tags: null));

        var script = Path.Combine(AppContext.BaseDirectory, "Local", "redis-cluster.sh");
        var nodeTimeoutMs = replicasPerMaster > 0 ? LocalRedisClusterResource.ReplicatedNodeTimeoutMs : LocalRedisClusterResource.NodeTimeoutMs;
        var resource = builder.AddResource(cluster)
            .WithArgs([script, dataDirectory, replicasPerMaster.ToString(CultureInfo.InvariantCulture), nodeTimeoutMs.ToString(CultureInfo.InvariantCulture),
                .. nodes.Select(node => string.Create(CultureInfo.InvariantCulture, $"{node.Port}:{node.BusPort}"))])
            .WithHealthCheck(healthCheckKey)
            .WithIconName("Database")
            .ExcludeFromManifest();
        for (var index = 0; index < nodes.Count; index++)
        {
            resource.WithEndpoint(port: nodes[index].Port, targetPort: nodes[index].Port, scheme: "tcp",
                name: LocalRedisClusterResource.EndpointName(index), isProxied: false);
        }
        return resource;
    }

    internal static IReadOnlyList<RedisClusterNode> ChooseNodes(string dataDirectory, int port, int count)
    {
        if (port > 0)
        {
            if (port + count - 1 + 10000 > IPEndPoint.MaxPort)
            {
                throw new DistributedApplicationException(
                    $"FluxGate:Ports:Redis={port}: a Redis Cluster takes {count} ports from there and their cluster buses 10000 above, " +
                    $"so the port must be at most {IPEndPoint.MaxPort - 10000 - count + 1}.");
            }
            return [.. Enumerable.Range(port, count).Select(nodePort => new RedisClusterNode(nodePort, nodePort + 10000))];
        }
        var taken = new HashSet<int>();
        var nodes = new List<RedisClusterNode>();
        for (var index = 0; index < count; index++)
        {
            var recorded = ReadOwnAddress(Path.Combine(dataDirectory, $"node-{index + 1}", "nodes.conf"));
            nodes.Add(new RedisClusterNode(Keep(recorded?.Port, taken), Keep(recorded?.BusPort, taken)));
        }
        return nodes;
    }

    private static int Keep(int? recorded, HashSet<int> taken) =>
        recorded is { } port && FreePort.IsFree(port) && taken.Add(port) ? port : FreePort.Next(taken);

    /// <summary>
    /// The node's own ports as its <c>nodes.conf</c> records them (line <c>&lt;id&gt; ip:port@bus[,host] myself,master …</c>);
    /// null when there is none, or when a running redis-server holds its lock (its ports are taken then anyway).
    /// </summary>
    internal static RedisClusterNode? ReadOwnAddress(string nodesConf)
    {
        string[] lines;
        try
        {
            lines = File.ReadAllLines(nodesConf);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            return null;
        }
        foreach (var line in lines)
        {
            var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length < 3 || !fields[2].Split(',').Contains("myself"))
            {
                continue;
            }
            var address = fields[1].Split(',')[0];
            var at = address.LastIndexOf('@');
            var colon = address.LastIndexOf(':', at < 0 ? address.Length - 1 : at);
            if (at > colon && colon >= 0
                && int.TryParse(address.AsSpan(colon + 1, at - colon - 1), NumberStyles.None, CultureInfo.InvariantCulture, out var port)
                && int.TryParse(address.AsSpan(at + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var bus)
                && port is > 0 and <= IPEndPoint.MaxPort && bus is > 0 and <= IPEndPoint.MaxPort)
            {
                return new RedisClusterNode(port, bus);
            }
        }
        return null;
    }
}

/// <summary>
/// Healthy when every node answers <c>CLUSTER INFO</c> with <c>cluster_state:ok</c>, knows exactly the cluster's nodes,
/// and lists each of them in <c>CLUSTER NODES</c> at its address now, connected, not failing (a master or a replica:
/// which node is which changes with every failover).
/// </summary>
internal sealed class RedisClusterHealthCheck(IReadOnlyList<RedisClusterNode> nodes) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var options = new ConfigurationOptions { AllowAdmin = true, AbortOnConnectFail = true, ConnectTimeout = 2000, SyncTimeout = 2000, ConnectRetry = 1 };
        foreach (var node in nodes)
        {
            options.EndPoints.Add(node.Address);
        }
        try
        {
            await using var connection = await ConnectionMultiplexer.ConnectAsync(options);
            foreach (var node in nodes)
            {
                var server = connection.GetServer(node.Address);
                var info = Text(await server.ExecuteAsync("CLUSTER", "INFO")).Split('\n')
                    .Select(line => line.Trim().Split(':', 2)).Where(pair => pair.Length == 2)
                    .ToDictionary(pair => pair[0], pair => pair[1]);
                if (info.GetValueOrDefault("cluster_state") != "ok")
                {
                    return HealthCheckResult.Unhealthy($"{node.Address}: cluster_state:{info.GetValueOrDefault("cluster_state")}");
                }
                if (info.GetValueOrDefault("cluster_known_nodes") != nodes.Count.ToString(CultureInfo.InvariantCulture))
                {
                    return HealthCheckResult.Unhealthy($"{node.Address}: cluster_known_nodes:{info.GetValueOrDefault("cluster_known_nodes")}");
                }
                var view = Text(await server.ExecuteAsync("CLUSTER", "NODES")).Split('\n');
                if (nodes.FirstOrDefault(other => !view.Any(line => IsConnectedNode(line, other))) is { } unseen)
                {
                    return HealthCheckResult.Unhealthy($"{node.Address} does not see {unseen.Address} as a connected node");
                }
            }
            return HealthCheckResult.Healthy($"cluster_state:ok on {string.Join(',', nodes.Select(node => node.Address))}");
        }
        catch (Exception exception) when (exception is RedisException or TimeoutException)
        {
            return HealthCheckResult.Unhealthy(exception.Message);
        }
    }

    /// <summary>A reply's text; over RESP3 CLUSTER INFO and NODES are verbatim strings, whose <c>txt:</c> this leaves out.</summary>
    private static string Text(RedisResult reply) => reply.ToString(out _) ?? "";

    /// <summary>A <c>CLUSTER NODES</c> line: <c>id ip:port@bus[,host] flags master-id ping pong epoch link-state slots…</c>.</summary>
    private static bool IsConnectedNode(string line, RedisClusterNode node)
    {
        var fields = line.Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (fields.Length < 8)
        {
            return false;
        }
        var flags = fields[2].Split(',');
        return fields[1].Split(',')[0] == string.Create(CultureInfo.InvariantCulture, $"{node.Address}@{node.BusPort}")
            && (flags.Contains("master") || flags.Contains("slave")) && !flags.Contains("fail") && !flags.Contains("fail?") && !flags.Contains("handshake")
            && fields[7] == "connected";
    }
}
