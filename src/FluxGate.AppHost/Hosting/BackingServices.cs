using FluxGate.AppHost.Containers;
using FluxGate.AppHost.Local;

namespace FluxGate.AppHost.Hosting;

/// <summary>
/// Redis, Kafka and PostgreSQL under the same names in every mode: an existing server when its connection string is
/// configured (<c>ConnectionStrings:&lt;name&gt;</c>), else containers, else local processes (docs/ASPIRE.md).
/// </summary>
public sealed class BackingServices
{
    private readonly IDistributedApplicationBuilder _builder;
    private readonly FluxGateHostOptions _options;
    private readonly Lazy<StateDirectory> _state;

    public BackingServices(IDistributedApplicationBuilder builder, FluxGateHostOptions options)
    {
        _builder = builder;
        _options = options;
        _state = new(() => StateDirectory.Create(builder, options));
        UseContainers = builder.ExecutionContext.IsPublishMode || options.BackingServices switch
        {
            BackingServiceMode.Containers => true,
            BackingServiceMode.Local => false,
            _ => ContainerRuntime.Answers(builder.Configuration["ASPIRE_CONTAINER_RUNTIME"]),
        };
    }

    public bool UseContainers { get; }

    public StateDirectory State => _state.Value;

    /// <summary>
    /// Redis: given, a server or cluster by connection string; else a container or one local redis-server; or, with
    /// <see cref="FluxGateHostOptions.RedisTopology"/> <c>Cluster</c>, a local Redis Cluster (also when containers
    /// would be used by <c>Auto</c>: there is no cluster container).
    /// </summary>
    public IResourceBuilder<IResourceWithConnectionString> AddRedis(string name)
    {
        if (_options.RedisReplicas != 0 && _options.RedisTopology != RedisTopology.Cluster)
        {
            throw new DistributedApplicationException(
                "FluxGate:RedisReplicas is for the local Redis Cluster: add FluxGate:RedisTopology=Cluster (./run.sh --redis-cluster --redis-replicas N).");
        }
        if (_options.RedisTopology == RedisTopology.Cluster)
        {
            return AddLocalRedisCluster(name);
        }
        if (IsGiven(name))
        {
            return _builder.AddConnectionString(name);
        }
        if (UseContainers)
        {
            return _builder.AddRedis(name).WithDataVolume().WithAppendOnlyFile();
        }
        return _builder.AddLocalRedis(name, State.Redis, FreePort.OrFree(_options.Ports.Redis));
    }

    private IResourceBuilder<IResourceWithConnectionString> AddLocalRedisCluster(string name)
    {
        if (IsGiven(name))
        {
            throw new DistributedApplicationException(
                $"FluxGate:RedisTopology=Cluster starts a local Redis Cluster, but ConnectionStrings:{name} gives an existing Redis: " +
                "drop one of them (an existing cluster is given by its connection string alone, its nodes comma-separated).");
        }
        if (_builder.ExecutionContext.IsPublishMode || _options.BackingServices == BackingServiceMode.Containers)
        {
            throw new DistributedApplicationException(
                "FluxGate:RedisTopology=Cluster runs the cluster as local processes, which " +
                (_builder.ExecutionContext.IsPublishMode ? "a deployment cannot" : "FluxGate:BackingServices=Containers excludes") +
                $": give an existing Redis Cluster as ConnectionStrings:{name} instead.");
        }
        if (_options.RedisReplicas is < 0 or > 5)
        {
            throw new DistributedApplicationException($"FluxGate:RedisReplicas={_options.RedisReplicas}: replicas per master are 0..5.");
        }
        return _builder.AddLocalRedisCluster(name, State.RedisClusterWith(_options.RedisReplicas), _options.Ports.Redis, _options.RedisReplicas);
    }

    public IResourceBuilder<IResourceWithConnectionString> AddKafka(string name)
    {
        if (IsGiven(name))
        {
            return _builder.AddConnectionString(name);
        }
        if (UseContainers)
        {
            return _builder.AddKafkaContainer(name);
        }
        return _builder.AddKafkaMock(name);
    }

    /// <summary>The server <paramref name="serverName"/> and its database <paramref name="databaseName"/>; given, only the database.</summary>
    public IResourceBuilder<IResourceWithConnectionString> AddPostgresDatabase(string serverName, string databaseName)
    {
        if (IsGiven(databaseName))
        {
            return _builder.AddConnectionString(databaseName);
        }
        if (UseContainers)
        {
            return _builder.AddPostgres(serverName).WithDataVolume().AddDatabase(databaseName);
        }
        return _builder.AddLocalPostgres(serverName, State.Postgres, FreePort.OrFree(_options.Ports.Postgres))
            .AddDatabase(databaseName);
    }

    /// <summary>Only the named backing services (<see cref="FluxGateHostOptions.BackingServicesOnly"/>).</summary>
    public void AddOnly(IEnumerable<string> names)
    {
        foreach (var name in names)
        {
            _ = name switch
            {
                ResourceNames.Redis => AddRedis(name),
                ResourceNames.Kafka => AddKafka(name),
                ResourceNames.Postgres or ResourceNames.Database => AddPostgresDatabase(ResourceNames.Postgres, ResourceNames.Database),
                _ => throw new DistributedApplicationException(
                    $"FluxGate:BackingServicesOnly: '{name}' is not a backing service (redis, kafka, postgres)."),
            };
        }
    }

    private bool IsGiven(string name) => !string.IsNullOrWhiteSpace(_builder.Configuration.GetConnectionString(name));
}
