namespace FluxGate.AppHost.Local;

/// <summary>A real <c>redis-server</c> (Debian package <c>redis-server</c>) run by Aspire as a local process.</summary>
public sealed class LocalRedisResource(string name, string dataDirectory, int port)
    : ExecutableResource(name, "redis-server", dataDirectory), IResourceWithConnectionString
{
    public const string PrimaryEndpointName = "tcp";

    public int Port { get; } = port;

    /// <summary>For health checks, which run before any endpoint expression is resolved.</summary>
    public string ConnectionString => $"127.0.0.1:{Port}";

    public EndpointReference PrimaryEndpoint => new(this, PrimaryEndpointName);

    public ReferenceExpression ConnectionStringExpression =>
        ReferenceExpression.Create($"{PrimaryEndpoint.Property(EndpointProperty.IPV4Host)}:{PrimaryEndpoint.Property(EndpointProperty.Port)}");
}

public static class LocalRedisExtensions
{
    /// <summary>
    /// redis-server on 127.0.0.1 with its data in <paramref name="dataDirectory"/>, append-only file on: a restart keeps
    /// stock, idempotency keys and queues.
    /// </summary>
    public static IResourceBuilder<LocalRedisResource> AddLocalRedis(this IDistributedApplicationBuilder builder,
        string name, string dataDirectory, int port)
    {
        Directory.CreateDirectory(dataDirectory);
        var redis = new LocalRedisResource(name, dataDirectory, port);
        var healthCheckKey = $"{name}_check";
        builder.Services.AddHealthChecks().AddRedis(redis.ConnectionString, name: healthCheckKey);

        return builder.AddResource(redis)
            .WithEndpoint(port: port, targetPort: port, scheme: "tcp", name: LocalRedisResource.PrimaryEndpointName, isProxied: false)
            .WithArgs(
                "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture),
                "--bind", "127.0.0.1",
                "--dir", ".", // its working folder, the data folder: the dashboard shows no path of this machine
                "--daemonize", "no",
                "--logfile", "",
                "--save", "",
                "--appendonly", "yes")
            .WithHealthCheck(healthCheckKey)
            .WithIconName("Database")
            .ExcludeFromManifest();
    }
}
