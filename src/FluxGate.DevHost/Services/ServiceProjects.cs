using System.Reflection;

namespace FluxGate.DevHost.Services;

/// <summary>Paths the build embedded in this assembly (see FluxGate.DevHost.csproj): the repository and the services' builds.</summary>
public static class ServiceProjects
{
    /// <summary>The repository's root folder (where FluxGate.sln is), as built.</summary>
    public static string RepositoryRoot => Metadata("FluxGate.RepositoryRoot");

    /// <summary>The built service assembly for <paramref name="service"/> (api, persister, waitingroom).</summary>
    public static string AssemblyPath(string service)
    {
        var path = Metadata($"FluxGate.Service.{service}");
        return File.Exists(path)
            ? path
            : throw new InvalidOperationException(
                $"The {service} service is not built: {path} is missing. Build the solution (dotnet build FluxGate.sln) " +
                "or run the DevHost with dotnet run --project src/FluxGate.DevHost, which builds it.");
    }

    private static string Metadata(string key) =>
        typeof(ServiceProjects).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .FirstOrDefault(attribute => attribute.Key == key)?.Value
        ?? throw new InvalidOperationException($"Assembly metadata {key} is missing from FluxGate.DevHost.");
}
