using FluxGate.Clients.HealthChecks;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Microsoft.Extensions.Hosting;

public static class NpgsqlClientExtensions
{
    /// <summary>Registers the process's one <see cref="NpgsqlDataSource"/> (pooled), its tracing and its readiness check.</summary>
    public static IHostApplicationBuilder AddNpgsqlDataSource(this IHostApplicationBuilder builder, string connectionName)
    {
        var connectionString = FluxGate.Clients.ConnectionStrings.Require(builder.Configuration, connectionName);
        _ = new NpgsqlConnectionStringBuilder(connectionString); // a malformed string fails at start, not at first use

        builder.Services.AddSingleton(sp => new NpgsqlDataSourceBuilder(connectionString)
            .UseLoggerFactory(sp.GetService<Microsoft.Extensions.Logging.ILoggerFactory>())
            .Build());
        if (builder.IsOtlpExporterConfigured())
        {
            builder.Services.AddOpenTelemetry().WithTracing(tracing => tracing.AddNpgsql());
        }
        builder.Services.AddHealthChecks()
            .AddCheck<PostgresHealthCheck>(connectionName, tags: [Extensions.ReadyTag]);
        return builder;
    }
}
