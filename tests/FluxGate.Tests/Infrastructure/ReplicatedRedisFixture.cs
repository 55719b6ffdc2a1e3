using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using StackExchange.Redis;

namespace FluxGate.Tests.Infrastructure;

/// <summary>
/// A redis-server master with one replica (<c>--replicaof</c>), each a process of its own on a free port with throwaway
/// data: what a shop's replicated Redis is, without the cluster around it.
/// </summary>
public sealed class ReplicatedRedisFixture : IAsyncLifetime
{
    private readonly string _folder = TempFolder.Create("fluxgate-replicated-redis-");
    private Process? _master;
    private Process? _replica;
    private ConnectionMultiplexer? _connection;

    public int MasterPort { get; } = FreePort();

    public int ReplicaPort { get; } = FreePort();

    /// <summary>The master only, as an api would be given it.</summary>
    public IConnectionMultiplexer Connection => _connection ?? throw new InvalidOperationException("Redis has not started");

    public int ReplicaProcessId => _replica?.Id ?? throw new InvalidOperationException("Redis has not started");

    public async Task InitializeAsync()
    {
        _master = Start("master", MasterPort);
        _replica = Start("replica", ReplicaPort, "--replicaof", "127.0.0.1", MasterPort.ToString(System.Globalization.CultureInfo.InvariantCulture));
        // abortConnect=false: the servers may not listen yet; the client connects as soon as they do.
        _connection = await ConnectionMultiplexer.ConnectAsync($"127.0.0.1:{MasterPort},allowAdmin=true,abortConnect=false");
        await using var replica = await ConnectionMultiplexer.ConnectAsync($"127.0.0.1:{ReplicaPort},allowAdmin=true,abortConnect=false");
        await Eventually.UntilAsync(async () => (await replica.GetServer($"127.0.0.1:{ReplicaPort}").InfoRawAsync("replication"))!,
            info => info.Contains("master_link_status:up", StringComparison.Ordinal), "the replica follows the master");
        // And the tests' own client knows the master as one: a script pinned to it finds it (under load it connects late).
        await Eventually.UntilAsync(() => Task.FromResult(_connection.GetServer($"127.0.0.1:{MasterPort}") is { IsConnected: true, IsReplica: false }),
            known => known, "the client is connected to the master");
    }

    /// <summary>What the replica holds at <paramref name="key"/> now.</summary>
    public async Task<RedisValue> ReadOnReplicaAsync(RedisKey key)
    {
        await using var replica = await ConnectionMultiplexer.ConnectAsync($"127.0.0.1:{ReplicaPort},allowAdmin=true");
        return await replica.GetServer($"127.0.0.1:{ReplicaPort}").ExecuteAsync("GET", key) is { IsNull: false } value ? (RedisValue)value : RedisValue.Null;
    }

    private Process Start(string name, int port, params string[] extra)
    {
        var directory = Path.Combine(_folder, name);
        Directory.CreateDirectory(directory);
        var start = new ProcessStartInfo("redis-server",
            ["--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--dir", directory, "--save", "",
                "--appendonly", "no", .. extra])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        var process = Process.Start(start)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async Task DisposeAsync()
    {
        if (_connection is not null)
        {
            await _connection.DisposeAsync();
        }
        foreach (var process in new[] { _replica, _master }.OfType<Process>())
        {
            ProcessTree.Signal(process.Id, ProcessTree.SigCont); // a test may have left it stopped
            process.Kill();
            await process.WaitForExitAsync();
            process.Dispose();
        }
        Directory.Delete(_folder, recursive: true);
    }
}
