using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using FluxGate.AppHost;
using FluxGate.AppHost.Hosting;
using FluxGate.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace FluxGate.Tests.Replicas;

/// <summary>Tests that share one graph of replicated services: <c>[Collection(ReplicaGraphCollection.Name)]</c>.</summary>
[CollectionDefinition(Name)]
public sealed class ReplicaGraphCollection : ICollectionFixture<ReplicaGraphFixture>
{
    public const string Name = "replica graph";
}

/// <summary>
/// The whole graph through the AppHost with two processes of each service (<c>FluxGate:Replicas:*=2</c>), each service
/// behind Aspire's proxy on a free port. Started once for its collection; ready when every replica answers its own
/// <c>/health</c> (<see cref="FluxGateGraph"/> waits, as Aspire's wait by name does, for the first healthy one only).
/// </summary>
public sealed class ReplicaGraphFixture : IAsyncLifetime
{
    public const int Replicas = 2;

    private readonly Dictionary<string, IReadOnlyList<ServiceReplica>> _replicas = [];

    public FluxGateGraph App { get; private set; } = null!;

    /// <summary>Each service's processes, by resource id: pid and the address each listens on behind the proxy.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<ServiceReplica>> ReplicasOf => _replicas;

    public async Task InitializeAsync()
    {
        App = await FluxGateGraph.StartAsync(new GraphOptions
        {
            Configuration = new Dictionary<string, string>
            {
                ["FluxGate:Replicas:Api"] = $"{Replicas}",
                ["FluxGate:Replicas:Persister"] = $"{Replicas}",
                ["FluxGate:Replicas:WaitingRoom"] = $"{Replicas}",
            },
        });
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        foreach (var service in ResourceNames.Services)
        {
            _replicas[service] = await App.App.ResourceNotifications.WaitForReplicasHealthyAsync(Resource(service), timeout.Token);
        }
    }

    public async Task DisposeAsync()
    {
        if (App is not null)
        {
            await App.DisposeAsync();
        }
    }

    public IResource Resource(string name) =>
        App.App.Services.GetRequiredService<DistributedApplicationModel>().Resources.Single(resource => resource.Name == name);

    /// <summary>An HttpClient for one replica itself, past the proxy. Redirects are not followed.</summary>
    public HttpClient CreateReplicaClient(ServiceReplica replica) =>
        new(new SocketsHttpHandler { AllowAutoRedirect = false }) { BaseAddress = replica.Url ?? throw new InvalidOperationException($"{replica.ResourceId} has no address.") };

    /// <summary>What one replica has written to its console so far (Aspire keeps each replica's log apart).</summary>
    public async Task<IReadOnlyList<string>> LogOfAsync(ServiceReplica replica)
    {
        var lines = new List<string>();
        using var enough = new CancellationTokenSource(TimeSpan.FromSeconds(1)); // the backlog arrives at once; then it only waits
        try
        {
            await foreach (var batch in App.App.Services.GetRequiredService<ResourceLoggerService>().WatchAsync(replica.ResourceId)
                               .WithCancellation(enough.Token))
            {
                lines.AddRange(batch.Select(line => line.Content));
            }
        }
        catch (OperationCanceledException)
        {
        }
        return lines;
    }

    public async Task WithLogsOnFailureAsync(ITestOutputHelper output, Func<Task> test)
    {
        try
        {
            await test();
        }
        catch
        {
            output.WriteLine("---- graph logs (most recent last) ----");
            output.WriteLine(App.RecentLogs());
            throw;
        }
    }
}
