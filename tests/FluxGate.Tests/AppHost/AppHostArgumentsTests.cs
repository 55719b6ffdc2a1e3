using FluxGate.AppHost.Hosting;

namespace FluxGate.Tests.AppHost;

/// <summary>The AppHost reads <c>./run.sh</c>'s options itself: <c>./run.sh</c> and the bench pass them unchanged.</summary>
public sealed class AppHostArgumentsTests
{
    [Fact]
    public void Each_run_sh_option_becomes_its_configuration_switch()
    {
        var switches = AppHostArguments.ToConfigurationSwitches(
        [
            "--api-port", "0", "--persister-port", "3101", "--waitingroom-port", "4001", "--redis-port", "7000", "--postgres-port", "5433",
            "--redis", "h1:7000,h2:7000", "--kafka", "broker:9092", "--postgres", "Host=db;Username=u",
            "--containers", "--local", "--redis-cluster", "--redis-replicas", "1", "--fresh",
            "--setting", "api:RateLimit:PermitsPerSecond=100", "--setting", "Auth:Shoppers=Required",
            "--environment", "Production", "--replicas", "api=2,persister=3", "--only", "redis,kafka",
            "--no-dashboard", "--no-otlp", "-c", "Release", "--admin-api-key",
        ]);

        Assert.Equal(
        [
            "--FluxGate:Ports:Api=0", "--FluxGate:Ports:Persister=3101", "--FluxGate:Ports:WaitingRoom=4001",
            "--FluxGate:Ports:Redis=7000", "--FluxGate:Ports:Postgres=5433",
            "--ConnectionStrings:redis=h1:7000,h2:7000", "--ConnectionStrings:kafka=broker:9092", "--ConnectionStrings:fluxgate=Host=db;Username=u",
            "--FluxGate:BackingServices=Containers", "--FluxGate:BackingServices=Local", "--FluxGate:RedisTopology=Cluster",
            "--FluxGate:RedisReplicas=1", "--FluxGate:Fresh=true",
            "--FluxGate:Settings:api:RateLimit:PermitsPerSecond=100", "--FluxGate:Settings:all:Auth:Shoppers=Required",
            "--FluxGate:Environment=Production", "--FluxGate:Replicas:Api=2", "--FluxGate:Replicas:Persister=3",
            "--FluxGate:BackingServicesOnly:0=redis", "--FluxGate:BackingServicesOnly:1=kafka",
            "--FluxGate:Dashboard=false", "--FluxGate:OtlpExport=false", "--FluxGate:AdminApiKey=generate",
        ], switches);
    }

    [Fact]
    public void Configuration_switches_pass_unchanged_and_a_state_folder_becomes_absolute()
    {
        var switches = AppHostArguments.ToConfigurationSwitches(
            ["--FluxGate:Fresh=true", "--Parameters:shopper-token-authority", "https://login.example.com", "--admin-api-key", "k1", "--state-dir", "st"]);

        Assert.Equal(
        [
            "--FluxGate:Fresh=true", "--Parameters:shopper-token-authority=https://login.example.com", "--FluxGate:AdminApiKey=k1",
            $"--FluxGate:StateDirectory={Path.GetFullPath("st")}",
        ], switches);
    }

    [Fact]
    public void Aspire_publish_arguments_pass_as_they_are()
    {
        string[] publish = ["--operation", "publish", "--publisher", "manifest", "--output-path", "out.json"];

        Assert.Equal(publish, AppHostArguments.ToConfigurationSwitches(publish));
    }

    [Theory]
    [InlineData("unknown option '--redis-clustr'", "--redis-clustr")]
    [InlineData("unknown option 'fresh'", "fresh")]
    [InlineData("--api-port needs a value", "--api-port")]
    [InlineData("--replicas takes api=N,persister=N,waitingroom=N (not 'api=two')", "--replicas", "api=two")]
    [InlineData("--replicas takes api=N,persister=N,waitingroom=N (not 'web=2')", "--replicas", "web=2")]
    [InlineData("--setting takes [service:]Key=Value (not 'api:RateLimit')", "--setting", "api:RateLimit")]
    public void A_wrong_option_is_named(string message, params string[] args)
    {
        var failure = Assert.Throws<ArgumentException>(() => AppHostArguments.ToConfigurationSwitches(args));

        Assert.Equal(message, failure.Message);
    }
}
