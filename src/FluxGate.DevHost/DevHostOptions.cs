using FluxGate.DevHost.Resources;

namespace FluxGate.DevHost;

/// <summary>Which resources of the graph the DevHost starts.</summary>
[Flags]
public enum DevHostResources
{
    None = 0,
    Redis = 1,
    Kafka = 2,
    Postgres = 4,
    Api = 8,
    Persister = 16,
    WaitingRoom = 32,
    Servers = Redis | Kafka | Postgres,
    Services = Api | Persister | WaitingRoom,
    All = Servers | Services,
}

/// <summary>One line a resource wrote (or the DevHost wrote about it).</summary>
public sealed record ResourceLogLine(string Resource, string Text, bool IsError)
{
    public override string ToString() => $"[{Resource}] {Text}";
}

/// <summary>Everything is optional: the defaults start the whole graph on free ports in a throw-away state folder.</summary>
public sealed record DevHostOptions
{
    /// <summary>What to start. A server that is given by connection string below is never started.</summary>
    public DevHostResources Resources { get; init; } = DevHostResources.All;

    /// <summary>An existing Redis (StackExchange.Redis string): then no redis-server is started.</summary>
    public string? RedisConnectionString { get; init; }

    /// <summary>An existing Kafka cluster's bootstrap servers: then no mock cluster is started.</summary>
    public string? KafkaBootstrapServers { get; init; }

    /// <summary>An existing PostgreSQL database (Npgsql string, database included): then no server is started.</summary>
    public string? PostgresConnectionString { get; init; }

    /// <summary>Ports on 127.0.0.1; null picks a free one.</summary>
    public int? ApiPort { get; init; }
    public int? PersisterPort { get; init; }
    public int? WaitingRoomPort { get; init; }
    public int? RedisPort { get; init; }
    public int? PostgresPort { get; init; }

    /// <summary>Extra configuration per service, keys as in appsettings ("RateLimit:PermitsPerSecond"); applied after the shared ones.</summary>
    public IReadOnlyDictionary<string, string> ApiSettings { get; init; } = new Dictionary<string, string>();
    public IReadOnlyDictionary<string, string> PersisterSettings { get; init; } = new Dictionary<string, string>();
    public IReadOnlyDictionary<string, string> WaitingRoomSettings { get; init; } = new Dictionary<string, string>();

    /// <summary>Extra configuration for every service.</summary>
    public IReadOnlyDictionary<string, string> SharedSettings { get; init; } = new Dictionary<string, string>();

    /// <summary><c>Admin:ApiKey</c> for the api; null leaves it unset (Development then keeps /init open).</summary>
    public string? AdminApiKey { get; init; }

    /// <summary><c>ASPNETCORE_ENVIRONMENT</c> of the services.</summary>
    public string EnvironmentName { get; init; } = "Development";

    /// <summary>
    /// Where the DevHost keeps its pid file and the servers' folders. Null: a new folder under the temp folder,
    /// deleted on dispose (stale ones of crashed runs are swept). A given folder is kept, and PostgreSQL's data in it.
    /// </summary>
    public string? StateDirectory { get; init; }

    /// <summary>Start PostgreSQL with an empty cluster even when the state folder holds one.</summary>
    public bool FreshPostgresData { get; init; }

    /// <summary>The mock cluster's brokers and topics (default: one broker, <c>orders</c> with 6 partitions).</summary>
    public KafkaMockClusterOptions KafkaMock { get; init; } = new();

    /// <summary>How long each server and service may take to become ready (a loaded 2-core machine is slow).</summary>
    public TimeSpan StartTimeout { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>Every line of every child, prefixed by resource; the DevHost's own messages come as resource "devhost".</summary>
    public Action<ResourceLogLine>? OnLog { get; init; }
}
