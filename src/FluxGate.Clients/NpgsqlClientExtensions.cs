using FluxGate.Clients;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Microsoft.Extensions.Hosting;

public static class NpgsqlClientExtensions
{
    /// <summary>
    /// The process's one data source from Aspire's client integration (<c>AddNpgsqlDataSource</c>), set up the same
    /// way in every service: commands traced only when a collector takes them, the readiness check named after the
    /// connection (Aspire's is "PostgreSql") with a 2 s limit.
    /// </summary>
    public static IHostApplicationBuilder AddPostgresConnection(this IHostApplicationBuilder builder, string connectionName)
    {
        // Parsed here so that a missing or malformed string stops the start, not the first command.
        _ = new NpgsqlConnectionStringBuilder(ConnectionStrings.Require(builder.Configuration, connectionName));
        builder.AddNpgsqlDataSource(connectionName, settings =>
        {
            settings.DisableTracing = !builder.IsOtlpExporterConfigured();
            settings.DisableHealthChecks = true;
        });
        builder.Services.AddHealthChecks().AddNpgSql(
            services => services.GetRequiredService<NpgsqlDataSource>(), name: connectionName,
            tags: [Extensions.ReadyTag], timeout: TimeSpan.FromSeconds(2));
        return builder;
    }
}
