using System.Text.Json;
using Aspire.Hosting;
using Aspire.Hosting.Testing;
using FluxGate.AppHost;
using FluxGate.AppHost.Hosting;
using FluxGate.Tests.Infrastructure;

namespace FluxGate.Tests.Replicas;

/// <summary><c>FluxGate:Replicas:*</c>: 1 by default, 1..16, refused outside that before anything starts.</summary>
public sealed class ReplicaOptionsTests
{
    [Fact]
    public void One_process_of_each_service_by_default()
    {
        var replicas = new FluxGateHostOptions().Replicas;

        replicas.Validate();
        Assert.All(ResourceNames.Services, service => Assert.Equal(1, replicas.For(service)));
    }

    [Theory]
    [InlineData(0, "FluxGate:Replicas:Api must be between 1 and 16 (was 0)")]
    [InlineData(17, "FluxGate:Replicas:Api must be between 1 and 16 (was 17)")]
    [InlineData(-1, "FluxGate:Replicas:Api must be between 1 and 16 (was -1)")]
    public void A_count_outside_1_to_16_is_refused(int count, string message)
    {
        var exception = Assert.Throws<DistributedApplicationException>(() =>
            new ServiceReplicas { Api = count, Persister = 16, WaitingRoom = 1 }.Validate());

        Assert.Equal(message + ".", exception.Message);
    }

    [Fact]
    public async Task The_apphost_refuses_a_wrong_count_before_it_starts_anything()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));

        var exception = await Assert.ThrowsAnyAsync<Exception>(async () =>
        {
            var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.FluxGate_AppHost>(
                ["--FluxGate:BackingServices=Local", "--FluxGate:Replicas:WaitingRoom=0", "--FluxGate:Replicas:Persister=99"], timeout.Token);
            await using var app = await builder.BuildAsync(timeout.Token);
        });

        var messages = string.Join(" | ", Chain(exception).Select(inner => inner.Message));
        Assert.Contains("FluxGate:Replicas:Persister must be between 1 and 16 (was 99)", messages);
        Assert.Contains("FluxGate:Replicas:WaitingRoom must be between 1 and 16 (was 0)", messages);
    }

    /// <summary>The manifest (what azd reads) has no replica count: deployed, the container apps scale on their own.</summary>
    [Fact]
    public async Task In_publish_mode_the_manifest_is_unchanged_by_replicas()
    {
        using var folder = new ManifestFolder();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.FluxGate_AppHost>(
            ["--publisher", "manifest", "--output-path", folder.Manifest, "--FluxGate:Replicas:Api=3"], timeout.Token);
        await using (var app = await builder.BuildAsync(timeout.Token))
        {
            await app.RunAsync(timeout.Token);
        }

        using var manifest = JsonDocument.Parse(await File.ReadAllTextAsync(folder.Manifest, timeout.Token));
        var api = manifest.RootElement.GetProperty("resources").GetProperty(ResourceNames.Api);
        Assert.StartsWith("project.", api.GetProperty("type").GetString());
        Assert.False(api.TryGetProperty("replicas", out _));
        var http = api.GetProperty("bindings").GetProperty("http");
        Assert.True(http.GetProperty("external").GetBoolean());
        Assert.False(http.TryGetProperty("port", out _), "no fixed port is published");
    }

    private static IEnumerable<Exception> Chain(Exception exception)
    {
        for (Exception? current = exception; current is not null; current = current.InnerException)
        {
            yield return current;
            if (current is AggregateException aggregate)
            {
                foreach (var inner in aggregate.InnerExceptions.SelectMany(Chain))
                {
                    yield return inner;
                }
            }
        }
    }

    private sealed class ManifestFolder : IDisposable
    {
        private readonly string _folder = TempFolder.Create("fluxgate-manifest-replicas-");

        public string Manifest => Path.Combine(_folder, "aspire-manifest.json");

        public void Dispose() => Directory.Delete(_folder, recursive: true);
    }
}
