using FluxGate.DevHost.Resources;
using FluxGate.Tests.Infrastructure;
using Npgsql;
using Xunit.Abstractions;

namespace FluxGate.Tests.DevHost;

public sealed class PostgresServerTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Creates_the_database_and_keeps_its_data_across_stop_start_and_a_crash()
    {
        await using var postgres = await PostgresServer.StartAsync(new PostgresServerOptions { OnOutput = TestOutputLog.Forward(output, "postgres") });
        var port = postgres.Port;
        Assert.Contains("Database=fluxgate", postgres.ConnectionString);

        await ExecuteAsync(postgres, "CREATE TABLE notes (id int PRIMARY KEY, body text NOT NULL)");
        await ExecuteAsync(postgres, "INSERT INTO notes VALUES (1, 'before stop')");
        Assert.Equal("fluxgate", await ScalarAsync<string>(postgres, "SELECT current_database()"));

        await postgres.StopAsync();
        Assert.False(postgres.IsRunning);
        await Assert.ThrowsAnyAsync<NpgsqlException>(() => ScalarAsync<int>(postgres, "SELECT 1"));

        await postgres.StartAsync();
        Assert.Equal(port, postgres.Port);
        Assert.Equal("before stop", await ScalarAsync<string>(postgres, "SELECT body FROM notes WHERE id = 1"));
        await ExecuteAsync(postgres, "INSERT INTO notes VALUES (2, 'before crash')");

        // SIGKILL leaves postmaster.pid behind; the next start copes with it.
        await postgres.KillAsync();
        await postgres.StartAsync();
        Assert.Equal(2L, await ScalarAsync<long>(postgres, "SELECT count(*) FROM notes"));
    }

    [Fact]
    public async Task Runs_the_server_as_the_postgres_user_when_started_as_root()
    {
        await using var postgres = await PostgresServer.StartAsync(new PostgresServerOptions { OnOutput = TestOutputLog.Forward(output, "postgres") });
        var expectedUser = Environment.UserName == "root" ? "postgres" : Environment.UserName;

        var owner = File.ReadLines($"/proc/{postgres.Identity!.Pid}/status").First(line => line.StartsWith("Uid:", StringComparison.Ordinal));
        var uid = owner.Split('\t', StringSplitOptions.RemoveEmptyEntries)[1];
        var userName = File.ReadLines("/etc/passwd").Select(line => line.Split(':')).First(fields => fields[2] == uid)[0];
        Assert.Equal(expectedUser, userName);
    }

    private static async Task ExecuteAsync(PostgresServer postgres, string sql)
    {
        await using var connection = new NpgsqlConnection(postgres.ConnectionString + ";Pooling=false");
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    private static async Task<T> ScalarAsync<T>(PostgresServer postgres, string sql)
    {
        await using var connection = new NpgsqlConnection(postgres.ConnectionString + ";Pooling=false");
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return (T)(await command.ExecuteScalarAsync())!;
    }
}
