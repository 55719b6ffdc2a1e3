namespace FluxGate.AppHost.Hosting;

public static class ServiceSettingsExtensions
{
    /// <summary>
    /// Extra configuration for a service from the AppHost's <c>FluxGate:Settings:all</c> and
    /// <c>FluxGate:Settings:&lt;service&gt;</c> sections, keys as in the service's appsettings
    /// (<c>--FluxGate:Settings:api:RateLimit:PermitsPerSecond=100000</c>); they come after the AppHost's own.
    /// </summary>
    public static IResourceBuilder<ProjectResource> WithServiceSettings(this IResourceBuilder<ProjectResource> service,
        IConfiguration configuration)
    {
        foreach (var scope in new[] { "all", service.Resource.Name })
        {
            var section = configuration.GetSection($"{FluxGateHostOptions.Section}:Settings:{scope}");
            foreach (var (key, value) in section.AsEnumerable(makePathsRelative: true))
            {
                if (value is not null)
                {
                    service.WithEnvironment(key.Replace(":", "__", StringComparison.Ordinal), value);
                }
            }
        }
        return service;
    }

    /// <summary>
    /// Run mode, one replica: the service listens on 127.0.0.1:<paramref name="port"/> itself (0: a free port), with no
    /// proxy hop on every order. More than one (<see cref="ServiceReplicas"/>): Aspire's proxy listens on the port
    /// (0: one DCP picks) and spreads connections over the replicas, each on a port of its own that DCP assigns
    /// (<c>WithReplicas</c> does not work with a proxy-less endpoint, and replicas cannot share a target port).
    /// Publish mode: the endpoint as the deployment target makes it; the count stays on the resource (<c>WithReplicas</c>),
    /// which Aspire's own compute publishers read, but the manifest azd reads has no replica count.
    /// </summary>
    public static IResourceBuilder<ProjectResource> WithServiceEndpoint(this IResourceBuilder<ProjectResource> service, int port,
        int replicas, FluxGateHostOptions options)
    {
        if (replicas > 1)
        {
            service.WithReplicas(replicas);
        }
        if (!service.ApplicationBuilder.ExecutionContext.IsRunMode)
        {
            return service.WithHttpEndpoint();
        }
        if (replicas > 1)
        {
            service.WithHttpEndpoint(port: port > 0 ? port : null, isProxied: true);
        }
        else
        {
            var freePort = FreePort.OrFree(port);
            service.WithHttpEndpoint(port: freePort, targetPort: freePort, isProxied: false);
        }
        return service
            .WithEnvironment("ASPNETCORE_ENVIRONMENT", options.Environment)
            .WithEnvironment("DOTNET_ENVIRONMENT", options.Environment);
    }
}
