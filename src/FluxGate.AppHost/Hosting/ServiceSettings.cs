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
    /// Run mode: the service listens on 127.0.0.1:<paramref name="port"/> itself (0: a free port). Aspire's proxy would
    /// add a hop to every order; it is for replicas, which FluxGate does not run locally yet.
    /// </summary>
    public static IResourceBuilder<ProjectResource> WithServiceEndpoint(this IResourceBuilder<ProjectResource> service, int port,
        FluxGateHostOptions options)
    {
        if (!service.ApplicationBuilder.ExecutionContext.IsRunMode)
        {
            return service.WithHttpEndpoint();
        }
        var freePort = FreePort.OrFree(port);
        return service
            .WithHttpEndpoint(port: freePort, targetPort: freePort, isProxied: false)
            .WithEnvironment("ASPNETCORE_ENVIRONMENT", options.Environment)
            .WithEnvironment("DOTNET_ENVIRONMENT", options.Environment);
    }
}
