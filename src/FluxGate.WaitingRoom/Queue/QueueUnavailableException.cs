using FluxGate.Clients;

namespace FluxGate.WaitingRoom.Queue;

/// <summary>Redis could not be reached or did not answer in time: the room can neither issue nor look up tickets.</summary>
public sealed class QueueUnavailableException(Exception inner)
    : DependencyUnavailableException("The waiting room's queue store (Redis) is unavailable.", inner)
{
    /// <summary>When to come back (the JSON API's <c>Retry-After</c>, the page's refresh): about how long a Redis stall lasts.</summary>
    public static readonly TimeSpan RetryAfter = TimeSpan.FromSeconds(5);
}
