namespace FluxGate.AppHost.Hosting;

/// <summary>
/// The AppHost's command line: <c>./run.sh</c> and the bench pass their arguments unchanged, and this turns the short
/// options below into configuration switches (<c>--api-port 0</c> → <c>--FluxGate:Ports:Api=0</c>). Our own code
/// because configuration's switch mappings take one value per switch: they cannot read flags, a repeated
/// <c>--setting</c> or a list (<c>--replicas api=2,persister=2</c>).
/// </summary>
public static class AppHostArguments
{
    public const string Usage = """
        ./run.sh [options] [--FluxGate:<Key>=<value> …]   (or dotnet run --project src/FluxGate.AppHost -- [options])

          --api-port N, --persister-port N, --waitingroom-port N   service ports (3000, 3100, 4000; 0 = a free one)
          --redis-port N, --postgres-port N                        local server ports (default: free ones)
          --redis CS, --kafka BOOTSTRAP, --postgres CS             existing servers instead of local ones
                                                                   (ConnectionStrings:redis / kafka / fluxgate)
          --containers, --local                                    backing services in containers / as local processes
                                                                   (default: containers when a container runtime answers)
          --redis-cluster                                          redis as a local Redis Cluster of three masters
                                                                   (FluxGate:RedisTopology=Cluster; --redis-port N: N..N+2)
          --redis-replicas N                                       with --redis-cluster: N replicas per master (0..5) and
                                                                   automatic failover (FluxGate:RedisReplicas)
          --replicas api=N,persister=N,waitingroom=N              processes per service (1..16, default 1); more than one
                                                                   run behind Aspire's proxy on the service's port
          --admin-api-key [KEY]                                    protect POST /init (x-api-key); without KEY one is generated
          --setting [service:]Key=Value                            configuration for api, persister, waitingroom or all,
                                                                   e.g. --setting api:RateLimit:PermitsPerSecond=100000
          --environment NAME                                       ASPNETCORE_ENVIRONMENT of the services (Development)
          --state-dir DIR                                          state folder (.fluxgate/): local data, endpoints.json
          --fresh                                                  start the local Redis and PostgreSQL empty
          --only redis,kafka,postgres                              only these backing services, no FluxGate service
                                                                   (to run a service from an IDE against them)
          --no-dashboard                                           no Aspire dashboard; the resources' output goes to
                                                                   this console (FluxGate:Dashboard=false; the bench)
          --no-otlp                                                the services export no telemetry (FluxGate:OtlpExport=false)
          -c, --configuration NAME                                 build configuration (./run.sh: Debug; the bench: Release)

        """;

    private static readonly string[] Services = ["api", "persister", "waitingroom"];

    /// <summary>
    /// The configuration switches <paramref name="args"/> stand for. <c>--Key=Value</c> and <c>--Section:Key value</c>
    /// pass unchanged; so does everything when Aspire's own publish options are there (<c>--publisher</c>,
    /// <c>--operation</c>: azd and the Aspire CLI).
    /// </summary>
    /// <exception cref="ArgumentException">An option this does not know, or one without its value.</exception>
    public static string[] ToConfigurationSwitches(IReadOnlyList<string> args)
    {
        if (args.Any(arg => arg is "--publisher" or "--operation" || arg.StartsWith("--publisher=", StringComparison.Ordinal)
                || arg.StartsWith("--operation=", StringComparison.Ordinal)))
        {
            return [.. args];
        }
        var switches = new List<string>();
        for (var i = 0; i < args.Count; i++)
        {
            var option = args[i];
            string Value() => i + 1 < args.Count ? args[++i] : throw new ArgumentException($"{option} needs a value");
            switch (option)
            {
                case "--api-port": switches.Add($"--FluxGate:Ports:Api={Value()}"); break;
                case "--persister-port": switches.Add($"--FluxGate:Ports:Persister={Value()}"); break;
                case "--waitingroom-port": switches.Add($"--FluxGate:Ports:WaitingRoom={Value()}"); break;
                case "--redis-port": switches.Add($"--FluxGate:Ports:Redis={Value()}"); break;
                case "--postgres-port": switches.Add($"--FluxGate:Ports:Postgres={Value()}"); break;
                case "--redis": switches.Add($"--ConnectionStrings:redis={Value()}"); break;
                case "--kafka": switches.Add($"--ConnectionStrings:kafka={Value()}"); break;
                case "--postgres": switches.Add($"--ConnectionStrings:fluxgate={Value()}"); break;
                case "--containers": switches.Add("--FluxGate:BackingServices=Containers"); break;
                case "--local": switches.Add("--FluxGate:BackingServices=Local"); break;
                case "--redis-cluster": switches.Add("--FluxGate:RedisTopology=Cluster"); break;
                case "--redis-replicas": switches.Add($"--FluxGate:RedisReplicas={Value()}"); break;
                case "--admin-api-key":
                    var key = i + 1 < args.Count && !args[i + 1].StartsWith("--", StringComparison.Ordinal) ? args[++i] : "generate";
                    switches.Add($"--FluxGate:AdminApiKey={key}");
                    break;
                case "--setting": switches.Add(Setting(Value())); break;
                case "--environment": switches.Add($"--FluxGate:Environment={Value()}"); break;
                case "--state-dir": switches.Add($"--FluxGate:StateDirectory={Path.GetFullPath(Value())}"); break;
                case "--fresh": switches.Add("--FluxGate:Fresh=true"); break;
                case "--replicas": switches.AddRange(Replicas(Value())); break;
                case "--only":
                    switches.AddRange(Value().Split(',').Select((only, index) => $"--FluxGate:BackingServicesOnly:{index}={only}"));
                    break;
                case "--no-dashboard": switches.Add("--FluxGate:Dashboard=false"); break;
                case "--no-otlp": switches.Add("--FluxGate:OtlpExport=false"); break;
                case "-c" or "--configuration": Value(); break; // dotnet run's, read by ./run.sh
                default:
                    if (option.StartsWith("--", StringComparison.Ordinal) && option.Contains('='))
                    {
                        switches.Add(option);
                    }
                    else if (option.StartsWith("--", StringComparison.Ordinal) && option.Contains(':'))
                    {
                        switches.Add($"{option}={Value()}");
                    }
                    else
                    {
                        throw new ArgumentException($"unknown option '{option}'");
                    }
                    break;
            }
        }
        return [.. switches];
    }

    private static string Setting(string setting)
    {
        var scope = setting.Split(':', 2) is [var first, _] && Services.Contains(first) ? first : "all";
        var rest = scope == "all" ? setting : setting[(scope.Length + 1)..];
        if (!rest.Contains('='))
        {
            throw new ArgumentException($"--setting takes [service:]Key=Value (not '{setting}')");
        }
        return $"--FluxGate:Settings:{scope}:{rest}";
    }

    private static IEnumerable<string> Replicas(string list) =>
        list.Split(',').Select(replica => replica.Split('=') switch
        {
            ["api", var count] when IsCount(count) => $"--FluxGate:Replicas:Api={count}",
            ["persister", var count] when IsCount(count) => $"--FluxGate:Replicas:Persister={count}",
            ["waitingroom", var count] when IsCount(count) => $"--FluxGate:Replicas:WaitingRoom={count}",
            _ => throw new ArgumentException($"--replicas takes api=N,persister=N,waitingroom=N (not '{replica}')"),
        });

    private static bool IsCount(string text) => text.Length > 0 && text.All(char.IsAsciiDigit);
}
