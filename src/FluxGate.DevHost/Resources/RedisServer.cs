using System.Net;
using System.Net.Sockets;
using System.Text;
using FluxGate.DevHost.Processes;

namespace FluxGate.DevHost.Resources;

public sealed record RedisServerOptions
{
    /// <summary>Port on 127.0.0.1; null picks a free one (kept across stop and start).</summary>
    public int? Port { get; init; }

    /// <summary>The server's working folder; null creates a temporary one that is deleted on dispose.</summary>
    public string? DataDirectory { get; init; }

    /// <summary>Keep data on disk (RDB snapshots) across restarts. Off by default: the graph's data is throw-away.</summary>
    public bool Persistence { get; init; }

    /// <summary>Path of redis-server; null looks it up on PATH.</summary>
    public string? Executable { get; init; }

    public TimeSpan StartTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Each line the server writes (true: standard error).</summary>
    public Action<string, bool>? OnOutput { get; init; }

    /// <summary>
    /// Called with each server process as soon as it is spawned (before it is ready), e.g. to record it in a pid file
    /// so that a later run can stop it if this one dies.
    /// </summary>
    public Action<FluxGate.DevHost.Processes.ProcessIdentity>? OnProcessStarted { get; init; }
}

/// <summary>A real redis-server (Debian package <c>redis-server</c>) bound to 127.0.0.1 on its own port and folder.</summary>
public sealed class RedisServer : LocalServer
{
    private readonly RedisServerOptions _options;
    private readonly string _executable;
    private readonly bool _ownsDataDirectory;

    private RedisServer(RedisServerOptions options, string executable)
        : base("redis", options.Port, options.StartTimeout, options.OnOutput, options.OnProcessStarted)
    {
        _options = options;
        _executable = executable;
        _ownsDataDirectory = options.DataDirectory is null;
        DataDirectory = options.DataDirectory ?? Directory.CreateTempSubdirectory("fluxgate-redis-").FullName;
        Directory.CreateDirectory(DataDirectory);
    }

    /// <summary>StackExchange.Redis connection string.</summary>
    public string ConnectionString => $"127.0.0.1:{Port}";

    public string DataDirectory { get; }

    public override string CommandLineMarker => "redis-server";

    public static async Task<RedisServer> StartAsync(RedisServerOptions options, CancellationToken cancellationToken = default)
    {
        var executable = options.Executable ?? Executables.FindOnPath("redis-server")
            ?? throw new InvalidOperationException(
                "redis-server was not found on PATH. Install it with: sudo apt-get install -y redis-server " +
                "(or give the DevHost an existing Redis: --redis <connection string> / FLUXGATE_REDIS).");
        var server = new RedisServer(options, executable);
        try
        {
            await server.FirstStartAsync(cancellationToken);
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    protected override ChildProcessSpec CreateProcessSpec(int port)
    {
        List<string> arguments =
        [
            "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--bind", "127.0.0.1",
            "--dir", DataDirectory,
            "--daemonize", "no",
            "--logfile", "",
        ];
        if (!_options.Persistence)
        {
            arguments.AddRange(["--save", "", "--appendonly", "no"]);
        }
        return new ChildProcessSpec(Name, _executable, arguments)
        {
            WorkingDirectory = DataDirectory,
            OnOutput = OnOutput,
        };
    }

    protected override async Task<bool> IsReadyAsync(CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(2));
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, Port, timeout.Token);
        var stream = client.GetStream();
        await stream.WriteAsync("PING\r\n"u8.ToArray(), timeout.Token);
        var buffer = new byte[64];
        var read = await stream.ReadAsync(buffer, timeout.Token);
        // "-LOADING …" while a snapshot loads: not ready yet.
        return Encoding.ASCII.GetString(buffer, 0, read).StartsWith("+PONG", StringComparison.Ordinal);
    }

    protected override Task OnDisposedAsync()
    {
        if (_ownsDataDirectory)
        {
            FileSystem.TryDeleteDirectory(DataDirectory);
        }
        return Task.CompletedTask;
    }
}
