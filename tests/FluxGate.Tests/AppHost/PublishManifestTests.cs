using System.Text.Json;
using Aspire.Hosting;
using Aspire.Hosting.Testing;
using FluxGate.Tests.Infrastructure;

namespace FluxGate.Tests.AppHost;

/// <summary>
/// The container path without a container engine: in publish mode (what <c>azd up</c> runs) the AppHost describes
/// redis, postgres/fluxgate and kafka as containers and the three projects with their references and settings.
/// </summary>
public sealed class PublishManifestTests : IAsyncLifetime
{
    private readonly string _folder = TempFolder.Create("fluxgate-manifest-");
    private JsonElement _resources;

    public async Task InitializeAsync()
    {
        var manifest = Path.Combine(_folder, "aspire-manifest.json");
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.FluxGate_AppHost>(
            ["--publisher", "manifest", "--output-path", manifest], timeout.Token);
        await using var app = await builder.BuildAsync(timeout.Token);
        await app.RunAsync(timeout.Token);
        using var document = JsonDocument.Parse(await File.ReadAllTextAsync(manifest, timeout.Token));
        _resources = document.RootElement.GetProperty("resources").Clone();
    }

    public Task DisposeAsync()
    {
        Directory.Delete(_folder, recursive: true);
        return Task.CompletedTask;
    }

    [Theory]
    [InlineData("redis", "docker.io/library/redis:")]
    [InlineData("postgres", "docker.io/library/postgres:")]
    [InlineData("kafka", "docker.io/confluentinc/confluent-local:")]
    public void Backing_services_are_containers_with_their_data_on_volumes(string name, string image)
    {
        var resource = _resources.GetProperty(name);
        Assert.Equal("container.v0", resource.GetProperty("type").GetString());
        Assert.StartsWith(image, resource.GetProperty("image").GetString());
        Assert.NotEmpty(resource.GetProperty("volumes").EnumerateArray());
        Assert.True(resource.TryGetProperty("connectionString", out _));
    }

    [Fact]
    public void Redis_runs_with_its_append_only_file()
    {
        var redis = _resources.GetProperty("redis");
        Assert.Equal("/bin/sh", redis.GetProperty("entrypoint").GetString());
        var command = redis.GetProperty("args").EnumerateArray().Select(arg => arg.GetString()).ToList();
        Assert.Equal("-c", command[0]);
        Assert.StartsWith("redis-server --requirepass $REDIS_PASSWORD", command[1]);
        Assert.EndsWith("--appendonly yes --appendfsync everysec", command[1]);
        Assert.Equal("/data", Assert.Single(redis.GetProperty("volumes").EnumerateArray()).GetProperty("target").GetString());
    }

    [Fact]
    public void The_database_is_on_the_postgres_container()
    {
        Assert.Equal("{postgres.connectionString};Database=fluxgate",
            _resources.GetProperty("fluxgate").GetProperty("connectionString").GetString());
    }

    [Theory]
    [InlineData("api", new[] { "redis", "kafka", "fluxgate" }, true)]
    [InlineData("persister", new[] { "kafka", "fluxgate" }, false)]
    [InlineData("waitingroom", new[] { "redis" }, true)]
    public void Projects_get_their_connection_strings_and_ingress(string name, string[] references, bool external)
    {
        var resource = _resources.GetProperty(name);
        Assert.Equal("project.v0", resource.GetProperty("type").GetString());
        var environment = resource.GetProperty("env");
        foreach (var reference in references)
        {
            Assert.Equal($"{{{reference}.connectionString}}", environment.GetProperty($"ConnectionStrings__{reference}").GetString());
        }
        var http = resource.GetProperty("bindings").GetProperty("http");
        Assert.Equal(external, http.TryGetProperty("external", out var isExternal) && isExternal.GetBoolean());
    }

    [Fact]
    public void The_api_and_the_room_share_the_signing_key_and_the_api_has_its_secrets_and_the_room_address()
    {
        var api = _resources.GetProperty("api").GetProperty("env");
        var room = _resources.GetProperty("waitingroom").GetProperty("env");
        Assert.Equal("{admission-signing-key.value}", api.GetProperty("Admission__SigningKey").GetString());
        Assert.Equal("{admission-signing-key.value}", room.GetProperty("Admission__SigningKey").GetString());
        Assert.Equal("{admin-api-key.value}", api.GetProperty("Admin__ApiKey").GetString());
        Assert.Equal("{waitingroom.bindings.http.url}", api.GetProperty("WaitingRoom__Url").GetString());
        Assert.Equal("{api.bindings.http.url}", room.GetProperty("services__api__http__0").GetString());
        foreach (var secret in new[] { "admission-signing-key", "admin-api-key" })
        {
            var input = _resources.GetProperty(secret).GetProperty("inputs").GetProperty("value");
            Assert.True(input.GetProperty("secret").GetBoolean());
            Assert.True(input.GetProperty("default").TryGetProperty("generate", out _), $"{secret} is generated at deployment");
        }
        // The rate limit is the api's own rule (50/s in Development, 10,000/s elsewhere): the AppHost states it nowhere.
        Assert.False(_resources.TryGetProperty("rate-limit-permits-per-second", out _));
        Assert.False(api.TryGetProperty("RateLimit__PermitsPerSecond", out _));
    }
}
