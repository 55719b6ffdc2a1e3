using System.Globalization;

namespace FluxGate.DevHost.Cli;

/// <summary>The DevHost program's arguments and environment variables, turned into <see cref="DevHostOptions"/>.</summary>
internal sealed record CommandLine(DevHostOptions Options, bool ShowHelp)
{
    public const int DefaultApiPort = 3000;
    public const int DefaultWaitingRoomPort = 4000;
    public const int DefaultPersisterPort = 3100;

    public const string Usage = """
        FluxGate DevHost: the whole FluxGate graph on local processes (redis-server, PostgreSQL, the librdkafka mock
        cluster, api, persister, waitingroom). Ctrl+C stops everything.

        Usage: dotnet run --project src/FluxGate.DevHost -- [options]     (or ./run.sh [options])

          --api-port <port>            api port (default 3000)
          --waitingroom-port <port>    waitingroom port (default 4000)
          --persister-port <port>      persister port (default 3100)
          --redis-port <port>          redis-server port (default: a free one)
          --postgres-port <port>       PostgreSQL port (default: a free one)
          --redis <connection string>  use an existing Redis instead of starting redis-server   (env FLUXGATE_REDIS)
          --kafka <bootstrap servers>  use an existing Kafka instead of the mock cluster         (env FLUXGATE_KAFKA)
          --postgres <npgsql string>   use an existing PostgreSQL database (its Database=…)      (env FLUXGATE_POSTGRES)
          --admin-api-key [key]        protect /init with this key (header x-api-key); without a value, one is
                                       generated. Default: none, and Development keeps /init open.
          --setting [service:]Key=Value  extra configuration for one service (api, persister, waitingroom) or, without
                                       a service, for all; repeatable. E.g. --setting api:RateLimit:PermitsPerSecond=100000
          --environment <name>         ASPNETCORE_ENVIRONMENT of the services (default Development)
          --state-dir <folder>         state and data folder (default: .fluxgate in the repository)
          --fresh                      start PostgreSQL with an empty database (Redis and Kafka always start empty)
          -h, --help                   this text
        """;

    public static CommandLine Parse(IReadOnlyList<string> args, Func<string, string?> environment, string repositoryRoot)
    {
        var options = new DevHostOptions
        {
            ApiPort = DefaultApiPort,
            WaitingRoomPort = DefaultWaitingRoomPort,
            PersisterPort = DefaultPersisterPort,
            RedisConnectionString = NullIfEmpty(environment("FLUXGATE_REDIS")),
            KafkaBootstrapServers = NullIfEmpty(environment("FLUXGATE_KAFKA")),
            PostgresConnectionString = NullIfEmpty(environment("FLUXGATE_POSTGRES")),
            StateDirectory = Path.Combine(repositoryRoot, ".fluxgate"),
        };
        var shared = new Dictionary<string, string>();
        var perService = new Dictionary<string, Dictionary<string, string>>
        {
            [ResourceNames.Api] = [],
            [ResourceNames.Persister] = [],
            [ResourceNames.WaitingRoom] = [],
        };

        for (var i = 0; i < args.Count; i++)
        {
            var argument = args[i];
            string Value() => i + 1 < args.Count && !args[i + 1].StartsWith("--", StringComparison.Ordinal)
                ? args[++i]
                : throw new ArgumentException($"{argument} needs a value.");
            int Port() => int.TryParse(Value(), NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port is > 0 and < 65536
                ? port
                : throw new ArgumentException($"{argument} needs a port number (1-65535).");

            options = argument switch
            {
                "-h" or "--help" => options,
                "--api-port" => options with { ApiPort = Port() },
                "--waitingroom-port" => options with { WaitingRoomPort = Port() },
                "--persister-port" => options with { PersisterPort = Port() },
                "--redis-port" => options with { RedisPort = Port() },
                "--postgres-port" => options with { PostgresPort = Port() },
                "--redis" => options with { RedisConnectionString = Value() },
                "--kafka" => options with { KafkaBootstrapServers = Value() },
                "--postgres" => options with { PostgresConnectionString = Value() },
                "--admin-api-key" => options with
                {
                    AdminApiKey = i + 1 < args.Count && !args[i + 1].StartsWith("--", StringComparison.Ordinal)
                        ? args[++i]
                        : Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16)),
                },
                "--environment" => options with { EnvironmentName = Value() },
                "--state-dir" => options with { StateDirectory = Path.GetFullPath(Value()) },
                "--fresh" => options with { FreshPostgresData = true },
                "--setting" => AddSetting(options, Value(), shared, perService),
                _ => throw new ArgumentException($"Unknown option {argument}. See --help."),
            };
            if (argument is "-h" or "--help")
            {
                return new CommandLine(options, ShowHelp: true);
            }
        }

        return new CommandLine(options with
        {
            SharedSettings = shared,
            ApiSettings = perService[ResourceNames.Api],
            PersisterSettings = perService[ResourceNames.Persister],
            WaitingRoomSettings = perService[ResourceNames.WaitingRoom],
        }, ShowHelp: false);
    }

    private static DevHostOptions AddSetting(DevHostOptions options, string setting, Dictionary<string, string> shared,
        Dictionary<string, Dictionary<string, string>> perService)
    {
        var equals = setting.IndexOf('=', StringComparison.Ordinal);
        if (equals <= 0)
        {
            throw new ArgumentException($"--setting {setting}: expected [service:]Key=Value.");
        }
        var key = setting[..equals];
        var value = setting[(equals + 1)..];
        var colon = key.IndexOf(':', StringComparison.Ordinal);
        if (colon > 0 && perService.TryGetValue(key[..colon], out var serviceSettings))
        {
            serviceSettings[key[(colon + 1)..]] = value;
        }
        else
        {
            shared[key] = value;
        }
        return options;
    }

    private static string? NullIfEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value;
}
