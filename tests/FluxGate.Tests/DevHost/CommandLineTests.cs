using FluxGate.DevHost.Cli;

namespace FluxGate.Tests.DevHost;

public sealed class CommandLineTests
{
    private static CommandLine Parse(string[] args, Dictionary<string, string>? environment = null) =>
        CommandLine.Parse(args, name => environment?.GetValueOrDefault(name), "/repo");

    [Fact]
    public void Defaults_are_the_documented_ports_the_repository_state_folder_and_no_admin_key()
    {
        var options = Parse([]).Options;

        Assert.Equal(3000, options.ApiPort);
        Assert.Equal(4000, options.WaitingRoomPort);
        Assert.Equal(3100, options.PersisterPort);
        Assert.Null(options.RedisPort);
        Assert.Equal("/repo/.fluxgate", options.StateDirectory);
        Assert.Null(options.AdminApiKey);
        Assert.Equal("Development", options.EnvironmentName);
    }

    [Fact]
    public void Settings_go_to_the_named_service_or_to_all()
    {
        var options = Parse(["--setting", "api:RateLimit:PermitsPerSecond=100000", "--setting", "Kafka:Client:linger.ms=5"]).Options;

        Assert.Equal("100000", options.ApiSettings["RateLimit:PermitsPerSecond"]);
        Assert.Equal("5", options.SharedSettings["Kafka:Client:linger.ms"]);
        Assert.Empty(options.PersisterSettings);
    }

    [Fact]
    public void External_servers_come_from_the_environment_and_the_command_line_wins()
    {
        var options = Parse(["--kafka", "broker:9092"], new() { ["FLUXGATE_REDIS"] = "cache:6379", ["FLUXGATE_KAFKA"] = "other:9092" }).Options;

        Assert.Equal("cache:6379", options.RedisConnectionString);
        Assert.Equal("broker:9092", options.KafkaBootstrapServers);
        Assert.Null(options.PostgresConnectionString);
    }

    [Fact]
    public void An_admin_key_is_taken_as_given_or_generated()
    {
        Assert.Equal("s3cret", Parse(["--admin-api-key", "s3cret"]).Options.AdminApiKey);
        Assert.Equal(32, Parse(["--admin-api-key"]).Options.AdminApiKey!.Length);
    }

    [Theory]
    [InlineData("--api-port", "x")]
    [InlineData("--api-port", "70000")]
    [InlineData("--setting", "no-equals-sign")]
    [InlineData("--unknown", "1")]
    public void Bad_arguments_are_refused_with_a_message(string option, string value)
    {
        var error = Assert.Throws<ArgumentException>(() => Parse([option, value]));
        Assert.Contains(option, error.Message);
    }
}
