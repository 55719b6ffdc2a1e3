using System.Security.Cryptography;
using System.Text;

namespace FluxGate.AppHost.Hosting;

/// <summary>The folder of the local servers' data and of <c>endpoints.json</c> (default <c>.fluxgate/</c> at the repository root).</summary>
public sealed class StateDirectory
{
    private StateDirectory(string root) => Root = root;

    public string Root { get; }

    public string Redis => Path.Combine(Root, "redis");

    /// <summary>The local Redis Cluster's nodes without replicas, a folder each (<c>node-1</c> …).</summary>
    public string RedisCluster => RedisClusterWith(replicasPerMaster: 0);

    /// <summary>A cluster's nodes with that many replicas per master: a folder of its own, as its nodes are other ones.</summary>
    public string RedisClusterWith(int replicasPerMaster) =>
        replicasPerMaster == 0 ? Path.Combine(Root, "redis-cluster") : Path.Combine(Root, $"redis-cluster-{replicasPerMaster}-replicas");

    public string EndpointsFile => Path.Combine(Root, "endpoints.json");

    /// <summary>
    /// PostgreSQL's folder. As root the server runs as the <c>postgres</c> user, which must be able to enter it: when a
    /// parent folder is closed to others (e.g. under /root), the data goes to /var/tmp instead.
    /// </summary>
    public string Postgres
    {
        get
        {
            var preferred = Path.Combine(Root, "postgres");
            if (Environment.UserName != "root" || IsOpenToOthers(preferred))
            {
                return preferred;
            }
            var hash = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(Root)))[..12].ToLowerInvariant();
            return Path.Combine("/var/tmp", $"fluxgate-postgres-{hash}");
        }
    }

    public static StateDirectory Create(IDistributedApplicationBuilder builder, FluxGateHostOptions options)
    {
        var root = Path.GetFullPath(options.StateDirectory
            ?? Path.Combine(builder.AppHostDirectory, "..", "..", ".fluxgate"));
        Directory.CreateDirectory(root);
        var state = new StateDirectory(root);
        if (options.Fresh)
        {
            foreach (var folder in new[] { state.Redis, state.RedisClusterWith(options.RedisReplicas), state.Postgres }.Where(Directory.Exists))
            {
                Directory.Delete(folder, recursive: true);
            }
        }
        return state;
    }

    private static bool IsOpenToOthers(string directory)
    {
        for (var current = Directory.GetParent(Path.GetFullPath(directory)); current is not null; current = current.Parent)
        {
            if (current.Exists && (current.UnixFileMode & UnixFileMode.OtherExecute) == 0)
            {
                return false;
            }
        }
        return true;
    }
}
