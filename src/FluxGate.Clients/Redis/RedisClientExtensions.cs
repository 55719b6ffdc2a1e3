using FluxGate.Clients;
using FluxGate.Clients.HealthChecks;
using Microsoft.Extensions.DependencyInjection;
using StackExchange.Redis;

namespace Microsoft.Extensions.Hosting;

public static class RedisClientExtensions
{
    /// <summary>
    /// The process's one multiplexer from Aspire's client integration (<c>AddRedisClient</c>), set up the same way in
    /// every service: it keeps reconnecting in the background (<c>/health</c> reports an outage), commands are traced
    /// only when a collector takes them, and the readiness check is named after the connection.
    /// </summary>
    public static IHostApplicationBuilder AddRedisConnection(this IHostApplicationBuilder builder, string connectionName)
    {
        // Parsed here so that a missing or malformed string stops the start, not the first command.
        _ = ConfigurationOptions.Parse(ConnectionStrings.Require(builder.Configuration, connectionName));
        builder.AddRedisClient(connectionName,
            settings =>
            {
                // An Activity per command costs CPU on the hot path (bench/).
                settings.DisableTracing = !builder.IsOtlpExporterConfigured();
                // Aspire's check ignores its timeout and waits out the client's 5 s queue while Redis is down.
                settings.DisableHealthChecks = true;
            },
            options =>
            {
                options.AbortOnConnectFail = false;
                options.ClientName ??= builder.Environment.ApplicationName;
            });
        builder.Services.AddHealthChecks().AddCheck<RedisHealthCheck>(connectionName, tags: [Extensions.ReadyTag]);
        return builder;
    }
}
