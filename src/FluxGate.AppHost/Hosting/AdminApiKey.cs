namespace FluxGate.AppHost.Hosting;

public static class AdminApiKeyExtensions
{
    /// <summary>
    /// The api's <c>Admin:ApiKey</c>: deployed, always a generated secret. In run mode as <see cref="FluxGateHostOptions.AdminApiKey"/>
    /// says: unset, none (Development keeps <c>POST /init</c> open); <c>generate</c>, a generated one; else that key.
    /// </summary>
    public static IResourceBuilder<ParameterResource>? AddAdminApiKey(this IDistributedApplicationBuilder builder, FluxGateHostOptions options)
    {
        const string name = "admin-api-key";
        if (builder.ExecutionContext.IsRunMode && string.IsNullOrEmpty(options.AdminApiKey))
        {
            return null;
        }
        return builder.ExecutionContext.IsPublishMode || options.AdminApiKey == "generate"
            ? builder.AddParameter(name, new GenerateParameterDefault { MinLength = 32, Special = false }, secret: true, persist: true)
            : builder.AddParameter(name, options.AdminApiKey!, secret: true);
    }

    public static IResourceBuilder<ProjectResource> WithAdminApiKey(this IResourceBuilder<ProjectResource> api,
        IResourceBuilder<ParameterResource>? adminApiKey) =>
        adminApiKey is null ? api : api.WithEnvironment("Admin__ApiKey", adminApiKey);
}
