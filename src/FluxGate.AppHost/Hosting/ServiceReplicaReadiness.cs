namespace FluxGate.AppHost.Hosting;

/// <summary>One process of a service as DCP runs it: its resource id (<c>api-xyzabcde</c>), process id and own address.</summary>
/// <param name="Url">Where the process itself listens (its <c>ASPNETCORE_URLS</c>): behind the proxy when the service is
/// replicated, the service's own endpoint when it is not.</param>
public sealed record ServiceReplica(string ResourceId, int? ProcessId, Uri? Url);

/// <summary>
/// Waiting for every replica of a service. Aspire's own waits by name (<c>WaitForResourceHealthyAsync("api")</c>) end with
/// the first replica that is healthy, and a replicated service's health check goes through the proxy, so it tells that
/// some replica answers, not that all do. These waits look at each replica.
/// </summary>
public static class ServiceReplicaReadiness
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(5) };
    private static readonly TimeSpan ProbeInterval = TimeSpan.FromMilliseconds(250);

    /// <summary>
    /// Until the service is healthy (Aspire's check) and each of its <c>GetReplicaCount()</c> replicas runs and answers
    /// <paramref name="healthPath"/> at its own address with a success code.
    /// </summary>
    public static async Task<IReadOnlyList<ServiceReplica>> WaitForReplicasHealthyAsync(this ResourceNotificationService notifications,
        IResource service, CancellationToken cancellationToken, string healthPath = "/health")
    {
        await notifications.WaitForResourceHealthyAsync(service.Name, cancellationToken);
        while (true)
        {
            var replicas = await notifications.WaitForReplicasRunningAsync(service, cancellationToken);
            var answers = await Task.WhenAll(replicas.Select(replica => AnswersAsync(replica, healthPath, cancellationToken)));
            if (answers.All(answered => answered))
            {
                return replicas;
            }
            await Task.Delay(ProbeInterval, cancellationToken);
        }
    }

    /// <summary>Until <c>GetReplicaCount()</c> replicas of the service are in the Running state; those replicas, by resource id.</summary>
    public static async Task<IReadOnlyList<ServiceReplica>> WaitForReplicasRunningAsync(this ResourceNotificationService notifications,
        IResource service, CancellationToken cancellationToken)
    {
        var count = service.GetReplicaCount();
        var latest = new Dictionary<string, ResourceEvent>(StringComparer.Ordinal);
        await foreach (var resourceEvent in notifications.WatchAsync(cancellationToken))
        {
            if (!string.Equals(resourceEvent.Resource.Name, service.Name, StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }
            latest[resourceEvent.ResourceId] = resourceEvent;
            var running = latest.Values.Where(replica => replica.Snapshot.State?.Text == KnownResourceStates.Running).ToList();
            if (running.Count >= count)
            {
                return running.Select(replica => ToReplica(replica, service)).OrderBy(replica => replica.ResourceId, StringComparer.Ordinal).ToList();
            }
        }
        cancellationToken.ThrowIfCancellationRequested();
        throw new InvalidOperationException("The resource notifications ended.");
    }

    private static ServiceReplica ToReplica(ResourceEvent replica, IResource service)
    {
        var pid = replica.Snapshot.Properties.FirstOrDefault(property => property.Name.EndsWith(".pid", StringComparison.Ordinal))?.Value;
        var urls = replica.Snapshot.EnvironmentVariables.FirstOrDefault(variable => variable.Name == "ASPNETCORE_URLS")?.Value;
        var url = urls?.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault();
        if (url is null && service.GetReplicaCount() == 1 && service is IResourceWithEndpoints endpoints
            && endpoints.GetEndpoint("http") is { IsAllocated: true } endpoint)
        {
            url = endpoint.Url; // one replica listens on the service's endpoint itself
        }
        return new ServiceReplica(
            replica.ResourceId,
            int.TryParse(pid?.ToString(), out var processId) ? processId : null,
            Uri.TryCreate(url, UriKind.Absolute, out var uri) ? uri : null);
    }

    private static async Task<bool> AnswersAsync(ServiceReplica replica, string healthPath, CancellationToken cancellationToken)
    {
        if (replica.Url is null)
        {
            return false;
        }
        try
        {
            using var response = await Http.GetAsync(new Uri(replica.Url, healthPath), cancellationToken);
            return response.IsSuccessStatusCode;
        }
        catch (Exception exception) when (exception is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return false; // not listening yet
        }
    }
}
