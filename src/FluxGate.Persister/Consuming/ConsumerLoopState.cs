namespace FluxGate.Persister.Consuming;

public enum ConsumerPhase
{
    Starting,
    MigratingSchema,
    Consuming,
    RetryingWrite,
    Stopped,
    Faulted,
}

/// <summary>What the consumer loop is doing, written by the loop and read by its health check.</summary>
public sealed class ConsumerLoopState(TimeProvider timeProvider)
{
    private long _lastBeatTicks = timeProvider.GetUtcNow().UtcTicks;
    private volatile string? _lastError;
    private int _phase = (int)ConsumerPhase.Starting;
    private int _assignedPartitions;
    private long _lastGapTicks;
    private volatile string? _lastGap;
    private long _gaps;

    public ConsumerPhase Phase => (ConsumerPhase)Volatile.Read(ref _phase);

    public string? LastError => _lastError;

    /// <summary>How many partitions the group has given this instance.</summary>
    public int AssignedPartitions => Volatile.Read(ref _assignedPartitions);

    public DateTimeOffset LastBeat => new(Interlocked.Read(ref _lastBeatTicks), TimeSpan.Zero);

    /// <summary>The loop is still turning.</summary>
    public void Beat() => Interlocked.Exchange(ref _lastBeatTicks, timeProvider.GetUtcNow().UtcTicks);

    /// <summary>When the last log gap was detected (<see cref="DateTimeOffset.MinValue"/>: never), what it was, and how many so far.</summary>
    public (DateTimeOffset At, string? Description, long Count) LastLogGap =>
        (new DateTimeOffset(Interlocked.Read(ref _lastGapTicks), TimeSpan.Zero), _lastGap, Interlocked.Read(ref _gaps));

    /// <summary>Events this group never persisted left the log (see <see cref="LogGapGuard"/>).</summary>
    public void LogGap(string description)
    {
        _lastGap = description;
        Interlocked.Increment(ref _gaps);
        Interlocked.Exchange(ref _lastGapTicks, timeProvider.GetUtcNow().UtcTicks);
    }

    public void Assigned(int partitions) => Volatile.Write(ref _assignedPartitions, partitions);

    public void Enter(ConsumerPhase phase, string? error = null)
    {
        _lastError = error;
        Volatile.Write(ref _phase, (int)phase);
        Beat();
    }
}
