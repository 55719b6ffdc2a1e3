using System.Collections.Concurrent;
using System.Diagnostics;

namespace FluxGate.Tests.Tracing;

/// <summary>
/// An <see cref="ActivityListener"/> that records every span of the sources it is told to listen to, once stopped.
/// Tests run in parallel and a listener makes every matching source record: choose sources by reference where the
/// code under test takes one, and filter what is recorded by trace id where it does not.
/// </summary>
public sealed class SpanRecorder : IDisposable
{
    private readonly ConcurrentQueue<Activity> _stopped = new();
    private readonly ActivityListener _listener;

    public SpanRecorder(Func<ActivitySource, bool> listenTo)
    {
        _listener = new ActivityListener
        {
            ShouldListenTo = listenTo,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = _stopped.Enqueue,
        };
        ActivitySource.AddActivityListener(_listener);
    }

    public IReadOnlyList<Activity> Stopped => [.. _stopped];

    public void Dispose() => _listener.Dispose();
}
