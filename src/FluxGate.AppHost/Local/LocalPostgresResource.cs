using Npgsql;

namespace FluxGate.AppHost.Local;

/// <summary>
/// A real PostgreSQL server (Debian package <c>postgresql</c>) run by Aspire as a local process: <c>bash postgres.sh
/// run</c> in the script's folder, its folders and port in its environment, so its command line names no path of this
/// machine (the dashboard shows it).
/// </summary>
public sealed class LocalPostgresServerResource(string name, string scriptDirectory, int port)
    : ExecutableResource(name, "bash", scriptDirectory), IResourceWithConnectionString
{
    public const string PrimaryEndpointName = "tcp";

    public int Port { get; } = port;

    public EndpointReference PrimaryEndpoint => new(this, PrimaryEndpointName);

    public ReferenceExpression ConnectionStringExpression =>
        ReferenceExpression.Create($"Host={PrimaryEndpoint.Property(EndpointProperty.IPV4Host)};Port={PrimaryEndpoint.Property(EndpointProperty.Port)};Username=postgres");

    /// <summary>For health checks and database creation, which run before any endpoint expression is resolved.</summary>
    public string ConnectionStringFor(string database) =>
        new NpgsqlConnectionStringBuilder { Host = "127.0.0.1", Port = Port, Username = "postgres", Database = database }.ConnectionString;
}

/// <summary>
/// A database of a <see cref="LocalPostgresServerResource"/>. It has no process of its own, so the server's ready event
/// creates it and publishes its state (Aspire copies a parent's state onto children only for containers).
/// </summary>
public sealed class LocalPostgresDatabaseResource(string name, string databaseName, LocalPostgresServerResource parent)
    : Resource(name), IResourceWithParent<LocalPostgresServerResource>, IResourceWithConnectionString
{
    public LocalPostgresServerResource Parent { get; } = parent;

    public string DatabaseName { get; } = databaseName;

    public ReferenceExpression ConnectionStringExpression =>
        ReferenceExpression.Create($"{Parent};Database={DatabaseName}");
}

public static class LocalPostgresExtensions
{
    /// <summary>
    /// PostgreSQL from <c>/usr/lib/postgresql/&lt;newest&gt;/bin</c> on 127.0.0.1, its cluster in
    /// <paramref name="dataDirectory"/>: an init step (<c>initdb</c> once) runs first and must complete.
    /// </summary>
    public static IResourceBuilder<LocalPostgresServerResource> AddLocalPostgres(this IDistributedApplicationBuilder builder,
        string name, string dataDirectory, int port)
    {
        var binDirectory = FindBinDirectory();
        var scriptDirectory = Path.Combine(AppContext.BaseDirectory, "Local");
        Directory.CreateDirectory(dataDirectory);

        var init = builder.AddExecutable($"{name}-init", "bash", scriptDirectory, "postgres.sh", "init")
            .WithEnvironment("POSTGRES_BIN", binDirectory)
            .WithEnvironment("POSTGRES_FOLDER", dataDirectory)
            .WithIconName("DatabaseArrowUp")
            .ExcludeFromManifest();

        var server = new LocalPostgresServerResource(name, scriptDirectory, port);
        var healthCheckKey = $"{name}_check";
        builder.Services.AddHealthChecks().AddNpgSql(server.ConnectionStringFor("postgres"), name: healthCheckKey);

        var serverBuilder = builder.AddResource(server)
            .WithEndpoint(port: port, targetPort: port, scheme: "tcp", name: LocalPostgresServerResource.PrimaryEndpointName, isProxied: false)
            .WithArgs("postgres.sh", "run")
            .WithEnvironment("POSTGRES_BIN", binDirectory)
            .WithEnvironment("POSTGRES_FOLDER", dataDirectory)
            .WithEnvironment("POSTGRES_PORT", port.ToString(System.Globalization.CultureInfo.InvariantCulture))
            .WithEnvironment("LC_ALL", "C.UTF-8")
            .WaitForCompletion(init)
            .WithHealthCheck(healthCheckKey)
            .WithIconName("Database")
            .ExcludeFromManifest();
        init.WithParentRelationship(serverBuilder);
        return serverBuilder;
    }

    public static IResourceBuilder<LocalPostgresDatabaseResource> AddDatabase(this IResourceBuilder<LocalPostgresServerResource> server,
        string name, string? databaseName = null)
    {
        var builder = server.ApplicationBuilder;
        var database = new LocalPostgresDatabaseResource(name, databaseName ?? name, server.Resource);
        var healthCheckKey = $"{name}_check";
        builder.Services.AddHealthChecks().AddNpgSql(server.Resource.ConnectionStringFor(database.DatabaseName), name: healthCheckKey);

        server.OnResourceReady(async (postgres, @event, cancellationToken) =>
        {
            await CreateDatabaseAsync(postgres, database.DatabaseName, cancellationToken);
            var notifications = @event.Services.GetRequiredService<ResourceNotificationService>();
            await notifications.PublishUpdateAsync(database, state => state with
            {
                State = KnownResourceStates.Running,
                StartTimeStamp = DateTime.UtcNow,
            });
        });

        return builder.AddResource(database)
            .WithInitialState(new CustomResourceSnapshot
            {
                ResourceType = "PostgresDatabase",
                State = KnownResourceStates.Waiting,
                Properties = [new("postgres.database", database.DatabaseName)],
            })
            .WithHealthCheck(healthCheckKey)
            .WithIconName("Database")
            .ExcludeFromManifest();
    }

    private static async Task CreateDatabaseAsync(LocalPostgresServerResource server, string databaseName, CancellationToken cancellationToken)
    {
        var connectionString = new NpgsqlConnectionStringBuilder(server.ConnectionStringFor("postgres")) { Pooling = false }.ConnectionString;
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(cancellationToken);
        await using var exists = new NpgsqlCommand("SELECT 1 FROM pg_database WHERE datname = $1", connection)
        {
            Parameters = { new NpgsqlParameter { Value = databaseName } },
        };
        if (await exists.ExecuteScalarAsync(cancellationToken) is null)
        {
            var quoted = new NpgsqlCommandBuilder().QuoteIdentifier(databaseName);
            await using var create = new NpgsqlCommand($"CREATE DATABASE {quoted}", connection);
            await create.ExecuteNonQueryAsync(cancellationToken);
        }
    }

    /// <summary>The newest installed server's bin folder, e.g. /usr/lib/postgresql/15/bin.</summary>
    private static string FindBinDirectory()
    {
        const string root = "/usr/lib/postgresql";
        var newest = Directory.Exists(root)
            ? Directory.GetDirectories(root)
                .Where(directory => File.Exists(Path.Combine(directory, "bin", "postgres")))
                .OrderByDescending(directory => int.TryParse(Path.GetFileName(directory).Split('.')[0], out var major) ? major : 0)
                .Select(directory => Path.Combine(directory, "bin"))
                .FirstOrDefault()
            : null;
        return newest ?? throw new DistributedApplicationException(
            "No PostgreSQL server under /usr/lib/postgresql/<version>/bin. Install it (apt-get install -y postgresql; ./run.sh does), " +
            "or give an existing server: ConnectionStrings__fluxgate=<Npgsql connection string>.");
    }
}
