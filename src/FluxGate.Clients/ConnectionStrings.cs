using Microsoft.Extensions.Configuration;

namespace FluxGate.Clients;

public static class ConnectionStrings
{
    /// <summary>Reads <c>ConnectionStrings:{name}</c> or fails start-up with a message that says how to set it.</summary>
    public static string Require(IConfiguration configuration, string name) =>
        configuration.GetConnectionString(name) is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException(
                $"Connection string '{name}' is missing. Set ConnectionStrings:{name} " +
                $"(environment variable ConnectionStrings__{name}); the AppHost sets it for you.");
}
