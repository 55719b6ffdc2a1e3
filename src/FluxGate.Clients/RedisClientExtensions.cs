using FluxGate.Clients.HealthChecks;
using Microsoft.Extensions.DependencyInjection;
using StackExchange.Redis;

namespace Microsoft.Extensions.Hosting;

public static class RedisClientExtensions
{
    /// <summary>Registers the process's one <see cref="IConnectionMultiplexer"/> and its readiness check.</summary>
    public static IHostApplicationBuilder AddRedisClient(this IHostApplicationBuilder builder, string connectionName)
    {
        var options = ConfigurationOptions.Parse(FluxGate.Clients.ConnectionStrings.Require(builder.Configuration, connectionName));
        // Keep retrying in the background instead of failing start-up: readiness reports the outage.
        options.AbortOnConnectFail = false;
        options.ClientName ??= builder.Environment.ApplicationName;

        builder.Services.AddSingleton<IConnectionMultiplexer>(_ => ConnectionMultiplexer.Connect(options));
        builder.Services.AddHealthChecks()
            .AddCheck<RedisHealthCheck>(connectionName, tags: [Extensions.ReadyTag]);
        return builder;
    }
}
