using System.Globalization;
using FluxGate.DevHost.Processes;
using Npgsql;

namespace FluxGate.DevHost.Resources;

public sealed record PostgresServerOptions
{
    /// <summary>Port on 127.0.0.1; null picks a free one (kept across stop and start).</summary>
    public int? Port { get; init; }

    /// <summary>
    /// The folder the server owns (cluster in <c>data/</c>, socket in <c>run/</c>); reused when it already holds a cluster.
    /// Null creates a temporary one that is deleted on dispose. As root, the <c>postgres</c> user must be able to reach it.
    /// </summary>
    public string? DataDirectory { get; init; }

    /// <summary>The database created for the application.</summary>
    public string Database { get; init; } = "fluxgate";

    /// <summary>Folder with initdb and postgres; null takes the newest /usr/lib/postgresql/&lt;version&gt;/bin.</summary>
    public string? BinDirectory { get; init; }

    public TimeSpan StartTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Each line the server writes (true: standard error, where PostgreSQL logs).</summary>
    public Action<string, bool>? OnOutput { get; init; }

    /// <summary>
    /// Called with each server process as soon as it is spawned (before it is ready), e.g. to record it in a pid file
    /// so that a later run can stop it if this one dies.
    /// </summary>
    public Action<FluxGate.DevHost.Processes.ProcessIdentity>? OnProcessStarted { get; init; }
}

/// <summary>
/// A real PostgreSQL server (Debian package <c>postgresql</c>): its own cluster made with initdb, run in the foreground
/// as a child process. PostgreSQL refuses to run as root, so as root both initdb and the server run as the
/// <c>postgres</c> user (through setpriv) on folders chowned to it. Trust authentication, loopback only: a dev server.
/// </summary>
public sealed class PostgresServer : LocalServer
{
    private const string ServiceUser = "postgres";
    private const string SetprivPath = "/usr/bin/setpriv";

    private readonly PostgresServerOptions _options;
    private readonly string _binDirectory;
    private readonly bool _ownsDataDirectory;
    private readonly bool _runAsServiceUser = Posix.IsRoot;

    private PostgresServer(PostgresServerOptions options, string binDirectory)
        : base("postgres", options.Port, options.StartTimeout, options.OnOutput, options.OnProcessStarted)
    {
        _options = options;
        _binDirectory = binDirectory;
        _ownsDataDirectory = options.DataDirectory is null;
        DataDirectory = Path.GetFullPath(options.DataDirectory ?? Directory.CreateTempSubdirectory("fluxgate-postgres-").FullName);
    }

    /// <summary>The folder the server owns; the cluster lives in its <c>data/</c> subfolder.</summary>
    public string DataDirectory { get; }

    public string Database => _options.Database;

    /// <summary>Npgsql connection string to the application database.</summary>
    public string ConnectionString => ConnectionStringFor(Database);

    public override string CommandLineMarker => ClusterDirectory;

    private string ClusterDirectory => Path.Combine(DataDirectory, "data");

    private string SocketDirectory => Path.Combine(DataDirectory, "run");

    /// <summary>Fast shutdown: open sessions are ended, the cluster is left consistent.</summary>
    protected override int StopSignal => Posix.SIGINT;

    public string ConnectionStringFor(string database) => new NpgsqlConnectionStringBuilder
    {
        Host = "127.0.0.1",
        Port = Port,
        Username = ServiceUser,
        Database = database,
    }.ConnectionString;

    public static async Task<PostgresServer> StartAsync(PostgresServerOptions options, CancellationToken cancellationToken = default)
    {
        var server = new PostgresServer(options, options.BinDirectory ?? FindBinDirectory());
        try
        {
            await server.InitializeClusterAsync(cancellationToken);
            await server.FirstStartAsync(cancellationToken);
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    /// <summary>The newest installed server's bin folder, e.g. /usr/lib/postgresql/15/bin.</summary>
    public static string FindBinDirectory()
    {
        const string root = "/usr/lib/postgresql";
        var newest = Directory.Exists(root)
            ? Directory.GetDirectories(root)
                .Select(directory => (Directory: directory, Version: Version.TryParse(NormalizeVersion(Path.GetFileName(directory)), out var version) ? version : null))
                .Where(candidate => candidate.Version is not null && File.Exists(Path.Combine(candidate.Directory, "bin", "postgres")))
                .OrderByDescending(candidate => candidate.Version)
                .Select(candidate => Path.Combine(candidate.Directory, "bin"))
                .FirstOrDefault()
            : null;
        return newest ?? throw new InvalidOperationException(
            "No PostgreSQL server binaries under /usr/lib/postgresql/<version>/bin. Install them with: " +
            "sudo apt-get install -y postgresql (or give the DevHost an existing server: --postgres <connection string> / FLUXGATE_POSTGRES).");

        static string NormalizeVersion(string name) => name.Contains('.') ? name : name + ".0";
    }

    /// <summary>
    /// True when the <c>postgres</c> user can reach <paramref name="directory"/>: every existing ancestor must be
    /// searchable by others (root's home, mode 700, is not). Always true when not running as root.
    /// </summary>
    public static bool IsReachableByServiceUser(string directory)
    {
        if (!Posix.IsRoot)
        {
            return true;
        }
        for (var current = Directory.GetParent(Path.GetFullPath(directory)); current is not null; current = current.Parent)
        {
            if (current.Exists && (current.UnixFileMode & UnixFileMode.OtherExecute) == 0)
            {
                return false;
            }
        }
        return true;
    }

    protected override ChildProcessSpec CreateProcessSpec(int port) => AsServiceUser("postgres",
        Path.Combine(_binDirectory, "postgres"),
        [
            "-D", ClusterDirectory,
            "-p", port.ToString(CultureInfo.InvariantCulture),
            "-k", SocketDirectory,
            "-c", "listen_addresses=127.0.0.1",
            // No flushes to disk, for dev and test speed: a crash of the machine (not of the server: tests kill it and
            // expect every commit to survive) may lose recent commits or corrupt the cluster. Fine for throw-away data
            // only. synchronous_commit stays on, so a commit is in the OS before the client hears of it.
            "-c", "fsync=off",
            "-c", "full_page_writes=off",
            // Room for the pools of api, persister and the tests at once.
            "-c", "max_connections=300",
        ]);

    protected override async Task PrepareStartAsync(CancellationToken cancellationToken)
    {
        await RemoveStaleLockFilesAsync();
    }

    /// <summary>Backends of a killed server exit on their own shortly after it, and hold its shared memory until then.</summary>
    protected override bool IsTransientStartFailure(string recentOutput) =>
        recentOutput.Contains("pre-existing shared memory block", StringComparison.Ordinal);

    protected override async Task<bool> IsReadyAsync(CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(AdminConnectionString("postgres"));
        await connection.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand("SELECT 1", connection);
        await command.ExecuteScalarAsync(cancellationToken);
        return true;
    }

    protected override async Task OnFirstReadyAsync(CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(AdminConnectionString("postgres"));
        await connection.OpenAsync(cancellationToken);
        await using var exists = new NpgsqlCommand("SELECT 1 FROM pg_database WHERE datname = $1", connection)
        {
            Parameters = { new NpgsqlParameter { Value = Database } },
        };
        if (await exists.ExecuteScalarAsync(cancellationToken) is null)
        {
            var name = new NpgsqlCommandBuilder().QuoteIdentifier(Database);
            await using var create = new NpgsqlCommand($"CREATE DATABASE {name}", connection);
            await create.ExecuteNonQueryAsync(cancellationToken);
        }
    }

    protected override Task OnDisposedAsync()
    {
        if (_ownsDataDirectory)
        {
            FileSystem.TryDeleteDirectory(DataDirectory);
        }
        return Task.CompletedTask;
    }

    // The launcher's own connections skip the pool so that no idle session outlives its use.
    private string AdminConnectionString(string database) => new NpgsqlConnectionStringBuilder(ConnectionStringFor(database))
    {
        Pooling = false,
        Timeout = 2,
    }.ConnectionString;

    private async Task InitializeClusterAsync(CancellationToken cancellationToken)
    {
        if (_runAsServiceUser && !IsReachableByServiceUser(DataDirectory))
        {
            throw new InvalidOperationException(
                $"PostgreSQL runs as the '{ServiceUser}' user (it refuses root), and that user cannot reach {DataDirectory}: " +
                "a parent folder is not searchable by others. Use a data folder under /tmp or /var/tmp.");
        }
        Directory.CreateDirectory(DataDirectory);
        var versionFile = Path.Combine(ClusterDirectory, "PG_VERSION");
        var serverMajor = Path.GetFileName(Path.GetDirectoryName(_binDirectory)!);
        if (File.Exists(versionFile))
        {
            var clusterMajor = (await File.ReadAllTextAsync(versionFile, cancellationToken)).Trim();
            if (clusterMajor != serverMajor && Version.TryParse(serverMajor + ".0", out _))
            {
                throw new InvalidOperationException(
                    $"The cluster in {ClusterDirectory} is PostgreSQL {clusterMajor}, the server is {serverMajor}. " +
                    "Delete the folder to start over (its data is development data).");
            }
            await HandOverToServiceUserAsync(cancellationToken);
            return;
        }

        // No PG_VERSION: nothing there, or an initdb that was interrupted. Start clean.
        if (Directory.Exists(ClusterDirectory))
        {
            Directory.Delete(ClusterDirectory, recursive: true);
        }
        Directory.CreateDirectory(SocketDirectory);
        await HandOverToServiceUserAsync(cancellationToken);
        await RunToCompletion.RunAsync(AsServiceUser("initdb", Path.Combine(_binDirectory, "initdb"),
            [
                "-D", ClusterDirectory,
                "-U", ServiceUser,
                "--auth=trust", // loopback only, development data
                "-E", "UTF8",
                "--no-locale",
                "--no-sync", // dev/test speed, as fsync=off on the server
            ]), TimeSpan.FromMinutes(2), cancellationToken);
    }

    private async Task HandOverToServiceUserAsync(CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(SocketDirectory);
        if (_runAsServiceUser)
        {
            await RunToCompletion.RunAsync(new ChildProcessSpec("chown", "chown", ["-R", $"{ServiceUser}:{ServiceUser}", DataDirectory]),
                TimeSpan.FromMinutes(1), cancellationToken);
        }
    }

    /// <summary>
    /// After a crash (the server or its host killed), postmaster.pid and the socket lock remain. A server of this
    /// cluster that still runs (orphaned by a killed host) is stopped; lock files whose process is gone are removed.
    /// </summary>
    private async Task RemoveStaleLockFilesAsync()
    {
        var pidFile = Path.Combine(ClusterDirectory, "postmaster.pid");
        if (File.Exists(pidFile)
            && int.TryParse(File.ReadLines(pidFile).FirstOrDefault(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var pid)
            && ProcessIdentity.TryRead(pid) is { } owner
            && owner.CommandLine.Contains(ClusterDirectory, StringComparison.Ordinal))
        {
            Posix.Signal(pid, Posix.SIGQUIT); // immediate shutdown
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
            while (Posix.IsAlive(pid) && DateTime.UtcNow < deadline)
            {
                await Task.Delay(100);
            }
            if (owner.IsStillRunning(ClusterDirectory))
            {
                Posix.Signal(pid, Posix.SIGKILL);
            }
            // Its backends, if any outlived it, are in its process group (the group id stays taken while they live).
            Posix.SignalGroup(pid, Posix.SIGKILL);
        }
        File.Delete(pidFile);
        if (Directory.Exists(SocketDirectory))
        {
            foreach (var lockFile in Directory.GetFiles(SocketDirectory, ".s.PGSQL.*"))
            {
                File.Delete(lockFile);
            }
        }
    }

    private ChildProcessSpec AsServiceUser(string name, string executable, IReadOnlyList<string> arguments)
    {
        var spec = _runAsServiceUser
            ? new ChildProcessSpec(name, SetprivPath,
                ["--reuid=" + ServiceUser, "--regid=" + ServiceUser, "--init-groups", "--", executable, .. arguments])
            : new ChildProcessSpec(name, executable, arguments);
        return spec with
        {
            // A folder the server user can enter (it cannot enter root's current directory).
            WorkingDirectory = DataDirectory,
            OnOutput = OnOutput,
            Environment = new Dictionary<string, string?> { ["LC_ALL"] = "C.UTF-8", ["PGDATA"] = null },
        };
    }
}
