using System.Security.Cryptography;
using FluxGate.DevHost.Processes;
using FluxGate.DevHost.Resources;
using FluxGate.DevHost.Services;
using FluxGate.DevHost.State;

namespace FluxGate.DevHost;

/// <summary>
/// The FluxGate graph on local processes: redis-server, PostgreSQL (database <c>fluxgate</c>) and the librdkafka mock
/// cluster (each unless given by connection string), then api, persister and waitingroom as child processes with the
/// same configuration keys the Aspire AppHost injects. Used by the DevHost program and, like Aspire's
/// DistributedApplicationTestingBuilder, by the end-to-end tests.
/// </summary>
public sealed class FluxGateApp : IAsyncDisposable
{
    private const string DevHostLogName = "devhost";

    private readonly DevHostOptions _options;
    private readonly StateDirectory _state;
    private readonly Dictionary<string, string> _connectionStrings = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, ServiceProcess> _services = new(StringComparer.OrdinalIgnoreCase);
    private int _disposed;

    private FluxGateApp(DevHostOptions options, StateDirectory state)
    {
        _options = options;
        _state = state;
        AdminApiKey = options.AdminApiKey;
    }

    /// <summary>The Kafka mock cluster (error injection), or null when Kafka is an external cluster.</summary>
    public KafkaMockCluster? Kafka { get; private set; }

    /// <summary>The redis-server the DevHost runs, or null when Redis is external or not started.</summary>
    public RedisServer? Redis { get; private set; }

    /// <summary>The PostgreSQL server the DevHost runs, or null when it is external or not started.</summary>
    public PostgresServer? Postgres { get; private set; }

    /// <summary>The api's <c>Admin:ApiKey</c> (header <c>x-api-key</c>), or null when none is set.</summary>
    public string? AdminApiKey { get; }

    /// <summary>The folder with the pid file and the servers' data.</summary>
    public string StateDirectory => _state.Path;

    /// <summary>URL of each started service, by name.</summary>
    public IReadOnlyDictionary<string, Uri> Endpoints => _services.ToDictionary(service => service.Key, service => service.Value.Url);

    /// <summary>Connection strings by name: redis, kafka, fluxgate.</summary>
    public IReadOnlyDictionary<string, string> ConnectionStrings => _connectionStrings;

    public static async Task<FluxGateApp> StartAsync(DevHostOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new DevHostOptions();
        ValidateReferences(options);
        var state = StateDirectoryFor(options);
        var app = new FluxGateApp(options, state);
        try
        {
            await app.StartServersAsync(cancellationToken);
            await app.StartServicesAsync(cancellationToken);
            return app;
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }
    }

    /// <summary>An HttpClient for a service (api, waitingroom, persister). Redirects are not followed: the api's 302 is part of its contract.</summary>
    public HttpClient CreateHttpClient(string name) =>
        new(new SocketsHttpHandler { AllowAutoRedirect = false }) { BaseAddress = GetEndpoint(name) };

    /// <summary>The base URL of a service (api, waitingroom, persister).</summary>
    public Uri GetEndpoint(string name) => Service(name).Url;

    /// <summary>The connection string of redis, kafka (bootstrap servers) or fluxgate (Npgsql; "postgres" works too).</summary>
    public string GetConnectionString(string name)
    {
        var key = name.Equals(ResourceNames.Postgres, StringComparison.OrdinalIgnoreCase) ? ResourceNames.Database : name;
        return _connectionStrings.TryGetValue(key, out var value)
            ? value
            : throw new ArgumentException($"No connection string '{name}'. Known: {string.Join(", ", _connectionStrings.Keys)}.", nameof(name));
    }

    /// <summary>
    /// Stops one resource gracefully. For kafka (the in-process mock) every broker goes down: clients are disconnected
    /// and refused, as when a broker stops.
    /// </summary>
    public Task StopResourceAsync(string name) => HaltAsync(name, kill: false);

    /// <summary>Starts a stopped (or killed) resource again on the same port with the same data and configuration.</summary>
    public async Task StartResourceAsync(string name, CancellationToken cancellationToken = default)
    {
        switch (Normalize(name))
        {
            case ResourceNames.Redis:
                await OwnedServer(Redis, name).StartAsync(cancellationToken);
                break;
            case ResourceNames.Postgres:
                await OwnedServer(Postgres, name).StartAsync(cancellationToken);
                break;
            case ResourceNames.Kafka:
                OwnedKafka(name).SetAllBrokersUp();
                break;
            default:
                await Service(name).StartAsync(cancellationToken);
                break;
        }
        Log($"{Normalize(name)} started");
    }

    /// <summary>
    /// SIGKILL, as in a crash (no graceful shutdown, stale lock files). For kafka, the in-process mock cannot be killed
    /// without losing its data: its brokers go down instead.
    /// </summary>
    public Task KillResourceAsync(string name) => HaltAsync(name, kill: true);

    private async Task HaltAsync(string name, bool kill)
    {
        var resource = Normalize(name);
        if (resource == ResourceNames.Kafka)
        {
            OwnedKafka(name).SetAllBrokersDown();
        }
        else
        {
            Func<Task> halt = resource switch
            {
                ResourceNames.Redis => kill ? OwnedServer(Redis, name).KillAsync : OwnedServer(Redis, name).StopAsync,
                ResourceNames.Postgres => kill ? OwnedServer(Postgres, name).KillAsync : OwnedServer(Postgres, name).StopAsync,
                _ => kill ? Service(name).KillAsync : Service(name).StopAsync,
            };
            await halt();
            _state.Forget(resource);
        }
        Log($"{resource} {(kill ? "killed" : "stopped")}");
    }

    /// <summary>Stops the services, then the servers; removes a temporary state folder.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }
        await Task.WhenAll(_services.Values.Select(service => service.StopAsync()));
        var servers = new List<Task>();
        if (Redis is not null)
        {
            servers.Add(Redis.DisposeAsync().AsTask());
        }
        if (Postgres is not null)
        {
            servers.Add(Postgres.DisposeAsync().AsTask());
        }
        if (Kafka is not null)
        {
            servers.Add(Kafka.DisposeAsync().AsTask());
        }
        await Task.WhenAll(servers);
        _state.Release();
        Log("stopped");
    }

    private static void ValidateReferences(DevHostOptions options)
    {
        var has = new Dictionary<string, bool>
        {
            [ResourceNames.Redis] = options.RedisConnectionString is not null || options.Resources.HasFlag(DevHostResources.Redis),
            [ResourceNames.Kafka] = options.KafkaBootstrapServers is not null || options.Resources.HasFlag(DevHostResources.Kafka),
            [ResourceNames.Postgres] = options.PostgresConnectionString is not null || options.Resources.HasFlag(DevHostResources.Postgres),
        };
        foreach (var (service, flag) in new[] { (ResourceNames.Api, DevHostResources.Api), (ResourceNames.Persister, DevHostResources.Persister), (ResourceNames.WaitingRoom, DevHostResources.WaitingRoom) })
        {
            if (!options.Resources.HasFlag(flag))
            {
                continue;
            }
            var missing = References(service).Where(reference => !has[reference]).ToList();
            if (missing.Count > 0)
            {
                throw new ArgumentException(
                    $"{service} needs {string.Join(" and ", missing)}: start it (DevHostOptions.Resources) or give its connection string.");
            }
        }
    }

    /// <summary>Who references whom, as in the AppHost (DESIGN.md §1).</summary>
    private static string[] References(string service) => service switch
    {
        ResourceNames.Api => [ResourceNames.Redis, ResourceNames.Kafka, ResourceNames.Postgres],
        ResourceNames.Persister => [ResourceNames.Kafka, ResourceNames.Postgres],
        ResourceNames.WaitingRoom => [ResourceNames.Redis],
        _ => [],
    };

    private static StateDirectory StateDirectoryFor(DevHostOptions options) =>
        State.StateDirectory.Acquire(options.StateDirectory,
            message => options.OnLog?.Invoke(new ResourceLogLine(DevHostLogName, message, IsError: false)));

    private async Task StartServersAsync(CancellationToken cancellationToken)
    {
        var starts = new List<Task>();
        if (_options.RedisConnectionString is { } redis)
        {
            _connectionStrings[ResourceNames.Redis] = redis;
        }
        else if (_options.Resources.HasFlag(DevHostResources.Redis))
        {
            starts.Add(StartRedisAsync(cancellationToken));
        }

        if (_options.KafkaBootstrapServers is { } kafka)
        {
            _connectionStrings[ResourceNames.Kafka] = kafka;
        }
        else if (_options.Resources.HasFlag(DevHostResources.Kafka))
        {
            starts.Add(Task.Run(() =>
            {
                Kafka = KafkaMockCluster.Start(_options.KafkaMock);
                lock (_connectionStrings)
                {
                    _connectionStrings[ResourceNames.Kafka] = Kafka.BootstrapServers;
                }
                Log($"kafka mock cluster at {Kafka.BootstrapServers} ({Kafka.BrokerCount} broker(s); topics: " +
                    $"{string.Join(", ", _options.KafkaMock.Topics.Select(topic => $"{topic.Key} ({topic.Value} partitions)"))})");
            }, cancellationToken));
        }

        if (_options.PostgresConnectionString is { } postgres)
        {
            _connectionStrings[ResourceNames.Database] = postgres;
        }
        else if (_options.Resources.HasFlag(DevHostResources.Postgres))
        {
            starts.Add(StartPostgresAsync(cancellationToken));
        }

        // All of them, even when one fails: DisposeAsync then stops those that did start.
        var all = Task.WhenAll(starts);
        try
        {
            await all;
        }
        catch when (all.Exception is { InnerExceptions.Count: > 1 } aggregate)
        {
            throw aggregate;
        }
    }

    private async Task StartRedisAsync(CancellationToken cancellationToken)
    {
        Redis = await RedisServer.StartAsync(new RedisServerOptions
        {
            Port = _options.RedisPort,
            DataDirectory = Path.Combine(_state.Path, "redis"),
            StartTimeout = _options.StartTimeout,
            OnOutput = Forward(ResourceNames.Redis),
            // redis-server rewrites its command line to "redis-server host:port"
            OnProcessStarted = identity => _state.Record(ResourceNames.Redis, identity, "redis-server"),
        }, cancellationToken);
        lock (_connectionStrings)
        {
            _connectionStrings[ResourceNames.Redis] = Redis.ConnectionString;
        }
    }

    private async Task StartPostgresAsync(CancellationToken cancellationToken)
    {
        var dataDirectory = PostgresDataDirectory();
        if (_options.FreshPostgresData)
        {
            FileSystem.TryDeleteDirectory(dataDirectory);
        }
        Postgres = await PostgresServer.StartAsync(new PostgresServerOptions
        {
            Port = _options.PostgresPort,
            DataDirectory = dataDirectory,
            Database = ResourceNames.Database,
            StartTimeout = _options.StartTimeout,
            OnOutput = Forward(ResourceNames.Postgres),
            OnProcessStarted = identity => _state.Record(ResourceNames.Postgres, identity, Path.Combine(dataDirectory, "data")),
        }, cancellationToken);
        lock (_connectionStrings)
        {
            _connectionStrings[ResourceNames.Database] = Postgres.ConnectionString;
        }
    }

    /// <summary>
    /// In the state folder, unless the server's user (postgres, when the DevHost runs as root) cannot reach it there,
    /// e.g. in a clone under /root: then in a folder under /var/tmp named after the state folder.
    /// </summary>
    private string PostgresDataDirectory()
    {
        var preferred = Path.Combine(_state.Path, "postgres");
        if (PostgresServer.IsReachableByServiceUser(preferred))
        {
            return preferred;
        }
        var hash = Convert.ToHexStringLower(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(_state.Path)))[..12];
        var fallback = Path.Combine("/var/tmp", $"fluxgate-postgres-{hash}");
        Log($"PostgreSQL runs as user postgres, which cannot reach {preferred}; its data goes to {fallback}");
        return fallback;
    }

    private async Task StartServicesAsync(CancellationToken cancellationToken)
    {
        var signingKey = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
        var ports = new Dictionary<string, int?>
        {
            [ResourceNames.Api] = _options.ApiPort,
            [ResourceNames.Persister] = _options.PersisterPort,
            [ResourceNames.WaitingRoom] = _options.WaitingRoomPort,
        };
        var wanted = new[] { (ResourceNames.Api, DevHostResources.Api), (ResourceNames.Persister, DevHostResources.Persister), (ResourceNames.WaitingRoom, DevHostResources.WaitingRoom) }
            .Where(service => _options.Resources.HasFlag(service.Item2))
            .Select(service => service.Item1)
            .ToList();
        // Ports first: the api must know the waiting room's URL and the waiting room the api's before either starts.
        var urls = wanted.ToDictionary(name => name, name => new Uri($"http://127.0.0.1:{ports[name] ?? Ports.GetFreePort()}/"));

        foreach (var name in wanted)
        {
            var environment = ServiceEnvironment(name, urls, signingKey);
            var assemblyPath = ServiceProjects.AssemblyPath(name);
            _services[name] = new ServiceProcess(name, urls[name].Port, assemblyPath, environment, _options.StartTimeout,
                Forward(name), identity => _state.Record(name, identity, assemblyPath));
        }

        await Task.WhenAll(_services.Values.Select(async service =>
        {
            await service.StartAsync(cancellationToken);
            Log($"{service.Name} healthy at {service.Url}");
        }));
    }

    /// <summary>The Aspire-convention configuration of one service, then the caller's shared and per-service settings.</summary>
    private Dictionary<string, string?> ServiceEnvironment(string name, IReadOnlyDictionary<string, Uri> urls, string signingKey)
    {
        var url = urls[name].ToString().TrimEnd('/');
        var environment = new Dictionary<string, string?>
        {
            ["ASPNETCORE_ENVIRONMENT"] = _options.EnvironmentName,
            ["ASPNETCORE_URLS"] = url,
            // appsettings.json may carry "Urls"; a plain environment variable is read after it and wins.
            ["Urls"] = url,
            ["ASPNETCORE_HTTP_PORTS"] = null,
            ["ASPNETCORE_HTTPS_PORTS"] = null,
            ["OTEL_SERVICE_NAME"] = name,
            // One line per log entry: readable behind the [name] prefix.
            ["Logging__Console__FormatterName"] = "simple",
            ["Logging__Console__FormatterOptions__SingleLine"] = "true",
        };
        foreach (var reference in References(name))
        {
            var connectionName = reference == ResourceNames.Postgres ? ResourceNames.Database : reference;
            environment[$"ConnectionStrings__{connectionName}"] = _connectionStrings[connectionName];
        }
        switch (name)
        {
            case ResourceNames.Api:
                if (urls.TryGetValue(ResourceNames.WaitingRoom, out var waitingRoom))
                {
                    environment["WaitingRoom__Url"] = waitingRoom.ToString().TrimEnd('/');
                }
                environment["Admission__SigningKey"] = signingKey;
                if (AdminApiKey is not null)
                {
                    environment["Admin__ApiKey"] = AdminApiKey;
                }
                break;
            case ResourceNames.WaitingRoom:
                if (urls.TryGetValue(ResourceNames.Api, out var api))
                {
                    environment["services__api__http__0"] = api.ToString().TrimEnd('/');
                }
                environment["Admission__SigningKey"] = signingKey;
                break;
        }

        var settings = name switch
        {
            ResourceNames.Api => _options.ApiSettings,
            ResourceNames.Persister => _options.PersisterSettings,
            _ => _options.WaitingRoomSettings,
        };
        foreach (var (key, value) in _options.SharedSettings.Concat(settings))
        {
            environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
        }
        return environment;
    }

    private ServiceProcess Service(string name) =>
        _services.TryGetValue(name, out var service)
            ? service
            : throw new ArgumentException(
                $"Unknown or not started resource '{name}'. Started services: {string.Join(", ", _services.Keys)}; servers: redis, kafka, postgres.",
                nameof(name));

    private static T OwnedServer<T>(T? server, string name) where T : class =>
        server ?? throw new InvalidOperationException($"{name} is not run by this DevHost (external, or not started), so it cannot be stopped or started here.");

    private KafkaMockCluster OwnedKafka(string name) => OwnedServer(Kafka, name);

    private static string Normalize(string name) =>
        name.Equals(ResourceNames.Database, StringComparison.OrdinalIgnoreCase) ? ResourceNames.Postgres : name.ToLowerInvariant();

    private Action<string, bool> Forward(string resource) =>
        (line, isError) => _options.OnLog?.Invoke(new ResourceLogLine(resource, line, isError));

    private void Log(string message) => _options.OnLog?.Invoke(new ResourceLogLine(DevHostLogName, message, IsError: false));
}
