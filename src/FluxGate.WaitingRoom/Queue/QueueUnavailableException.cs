namespace FluxGate.WaitingRoom.Queue;

/// <summary>Redis could not be reached or did not answer in time: the room can neither issue nor look up tickets.</summary>
public sealed class QueueUnavailableException(Exception inner)
    : Exception("The waiting room's queue store (Redis) is unavailable.", inner);
