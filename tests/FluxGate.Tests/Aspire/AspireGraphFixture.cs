using Aspire.Hosting;
using Aspire.Hosting.Testing;

namespace FluxGate.Tests.Aspire;

/// <summary>
/// The whole graph started once per collection through FluxGate.AppHost, the way the DevHost fixture starts it
/// without containers. The testing builder puts every endpoint on a free port and runs without the dashboard.
/// </summary>
public sealed class AspireGraphFixture : IAsyncLifetime
{
    public static readonly string[] Services = ["api", "persister", "waitingroom"];

    // Generous: a first run pulls the Redis, Kafka and PostgreSQL images.
    private static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(10);

    private DistributedApplication? _app;

    public DistributedApplication App => _app ?? throw new InvalidOperationException("The Aspire graph has not started.");

    public async Task InitializeAsync()
    {
        using var timeout = new CancellationTokenSource(StartTimeout);
        var appHost = await DistributedApplicationTestingBuilder.CreateAsync<Projects.FluxGate_AppHost>(timeout.Token);
        _app = await appHost.BuildAsync(timeout.Token);
        await _app.StartAsync(timeout.Token);

        // Healthy = the resource's /health answered 200, i.e. the service reached all of its dependencies.
        foreach (var service in Services)
        {
            await _app.ResourceNotifications.WaitForResourceHealthyAsync(service, timeout.Token);
        }
    }

    public async Task DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }
    }
}

[CollectionDefinition(Name)]
public sealed class AspireGraphCollection : ICollectionFixture<AspireGraphFixture>
{
    public const string Name = "aspire";
}
