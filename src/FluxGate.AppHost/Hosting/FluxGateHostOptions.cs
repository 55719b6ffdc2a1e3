namespace FluxGate.AppHost.Hosting;

/// <summary>Where the backing services come from.</summary>
public enum BackingServiceMode
{
    /// <summary>Containers when a container runtime answers, local processes otherwise.</summary>
    Auto,
    Containers,
    Local,
}

/// <summary>What the AppHost starts as <c>redis</c> in local mode.</summary>
public enum RedisTopology
{
    /// <summary>One redis-server.</summary>
    Single,

    /// <summary>A Redis Cluster of three masters (with <see cref="FluxGateHostOptions.RedisReplicas"/> replicas each), each node a redis-server of its own.</summary>
    Cluster,
}

/// <summary>
/// The AppHost's switches, section <c>FluxGate</c> (e.g. <c>dotnet run --project src/FluxGate.AppHost -- --FluxGate:Fresh=true</c>
/// or <c>FluxGate__Fresh=true</c>). An existing server is given as <c>ConnectionStrings:redis|kafka|fluxgate</c> instead.
/// </summary>
public sealed class FluxGateHostOptions
{
    public const string Section = "FluxGate";

    public BackingServiceMode BackingServices { get; set; } = BackingServiceMode.Auto;

    /// <summary>
    /// The local <c>redis</c>: one server, or a Redis Cluster of three masters (local mode only; an existing cluster is
    /// given as <c>ConnectionStrings:redis</c>, its nodes comma-separated, in any mode).
    /// </summary>
    public RedisTopology RedisTopology { get; set; } = RedisTopology.Single;

    /// <summary>
    /// Replicas per master of the local Redis Cluster, 0..5 (<c>./run.sh --redis-replicas N</c>): with one or more, a
    /// master that fails is replaced by its replica within seconds, and the api waits for a replica to hold each
    /// reservation before the order goes to Kafka (docs/FAILURE-MODES.md).
    /// </summary>
    public int RedisReplicas { get; set; }

    /// <summary>Folder of the local servers' data and of <c>endpoints.json</c>; default <c>.fluxgate/</c> at the repository root.</summary>
    public string? StateDirectory { get; set; }

    /// <summary>Start the local Redis (or Redis Cluster) and PostgreSQL empty (their data in the state folder is deleted first).</summary>
    public bool Fresh { get; set; }

    /// <summary><c>ASPNETCORE_ENVIRONMENT</c> of the three services.</summary>
    public string Environment { get; set; } = "Development";

    /// <summary>
    /// <c>Admin:ApiKey</c> of the api in run mode: unset leaves <c>POST /init</c> open in Development (the spec's curl
    /// examples work as written); <c>generate</c> makes one per state folder. Deployed, it is always a generated secret.
    /// </summary>
    public string? AdminApiKey { get; set; }

    /// <summary>
    /// Start the Aspire dashboard (<c>./run.sh</c>); <c>false</c> (<c>--no-dashboard</c>, the bench) leaves it out and
    /// writes the resources' output to the AppHost's console instead. Read before the builder exists: Aspire takes it
    /// only as <c>DistributedApplicationOptions.DisableDashboard</c>.
    /// </summary>
    public bool Dashboard { get; set; } = true;

    /// <summary>
    /// Let the services export traces, metrics and logs over OTLP (to the dashboard); <c>false</c> (<c>--no-otlp</c>, the
    /// bench) gives them no <c>OTEL_*</c> variable, so they record no traces at all.
    /// </summary>
    public bool OtlpExport { get; set; } = true;

    public ServicePorts Ports { get; set; } = new();

    /// <summary>Processes per service, 1..16 (<c>Replicas:Api|Persister|WaitingRoom</c>); more than one run behind Aspire's proxy.</summary>
    public ServiceReplicas Replicas { get; set; } = new();

    /// <summary>
    /// Run only these backing services (<c>redis</c>, <c>kafka</c>, <c>postgres</c>), no FluxGate service: to run a
    /// service from an IDE against them, or one server for an integration test. Empty: the whole graph.
    /// </summary>
    public string[] BackingServicesOnly { get; set; } = [];

    /// <summary>Run mode: ports on 127.0.0.1; 0 takes a free one (the tests do).</summary>
    public sealed class ServicePorts
    {
        public int Api { get; set; } = 3000;
        public int Persister { get; set; } = 3100;
        public int WaitingRoom { get; set; } = 4000;
        /// <summary>The local Redis; of a cluster, the first node's (the others on the next ports, cluster buses 10000 above).</summary>
        public int Redis { get; set; }
        public int Postgres { get; set; }
    }
}
