namespace FluxGate.AppHost;

/// <summary>The graph's resource names (docs/DESIGN.md, "The graph"); also the connection string names the services read.</summary>
public static class ResourceNames
{
    public const string Redis = "redis";
    public const string Kafka = "kafka";
    public const string Postgres = "postgres";

    /// <summary>The database on <see cref="Postgres"/>; also the connection string name (<c>ConnectionStrings:fluxgate</c>).</summary>
    public const string Database = "fluxgate";

    public const string Api = "api";
    public const string Persister = "persister";
    public const string WaitingRoom = "waitingroom";

    public static readonly IReadOnlyList<string> Servers = [Redis, Kafka, Postgres];
    public static readonly IReadOnlyList<string> Services = [Api, Persister, WaitingRoom];
}
