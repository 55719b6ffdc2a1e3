using FluxGate.Clients;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Microsoft.Extensions.Hosting;

public static class NpgsqlClientExtensions
{
    /// <summary>
    /// The process's one data source from Aspire's client integration (<c>AddNpgsqlDataSource</c>), set up the same
    /// way in every service: commands traced only when a collector takes them, the readiness check named after the
    /// connection (Aspire's is "PostgreSql") with a 2 s limit, connections returned to the pool as they are.
    /// </summary>
    public static IHostApplicationBuilder AddPostgresConnection(this IHostApplicationBuilder builder, string connectionName)
    {
        // Parsed here so that a missing or malformed string stops the start, not the first command.
        _ = new NpgsqlConnectionStringBuilder(ConnectionStrings.Require(builder.Configuration, connectionName));
        builder.AddNpgsqlDataSource(connectionName, settings =>
        {
            settings.DisableTracing = !builder.IsOtlpExporterConfigured();
            settings.DisableHealthChecks = true;
        },
        // A pooled connection is otherwise reset on each return (DISCARD ALL, or RESET ALL with prepared statements): a
        // statement per use, 2.8 per 1,000 accepted orders measured. No service keeps session state (the migration's
        // lock is transaction-scoped), so there is nothing to reset.
        dataSource => dataSource.ConnectionStringBuilder.NoResetOnClose = true);
        builder.Services.AddHealthChecks().AddNpgSql(
            services => services.GetRequiredService<NpgsqlDataSource>(), name: connectionName,
            tags: [Extensions.ReadyTag], timeout: TimeSpan.FromSeconds(2));
        return builder;
    }
}
