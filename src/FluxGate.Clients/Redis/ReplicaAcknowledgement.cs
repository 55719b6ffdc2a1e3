using System.Collections.Concurrent;
using System.Net;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace FluxGate.Clients;

/// <summary>
/// How many replicas a master's writes must reach before the api acts on them (<see cref="ReplicaAcknowledgementOptions"/>).
/// By default a master that has, or had since this process started, a replica needs one: a replica that drops off
/// for a while can still be promoted later, so the requirement does not fall back to zero while it is away.
/// </summary>
public sealed partial class ReplicaAcknowledgement(IOptions<ReplicaAcknowledgementOptions> options, ILogger<ReplicaAcknowledgement> logger)
{
    /// <summary>How often a master without replicas is asked again whether it has one now.</summary>
    private const long RecheckMs = 5000;

    private readonly ConcurrentDictionary<EndPoint, Known> _masters = new();
    private readonly int? _configured = options.Value.Replicas;

    /// <summary>The defaults: one replica where a master has replicas, waited for up to a second.</summary>
    public static ReplicaAcknowledgement Default { get; } =
        new(Microsoft.Extensions.Options.Options.Create(new ReplicaAcknowledgementOptions()), NullLogger<ReplicaAcknowledgement>.Instance);

    /// <summary>WAIT's timeout argument, in milliseconds.</summary>
    public long TimeoutMs { get; } = (long)options.Value.Timeout.TotalMilliseconds;

    /// <summary>Configured never to wait (<c>Replicas=0</c>): no master needs to be looked up at all.</summary>
    public bool IsOff => _configured == 0;

    /// <summary>Replicas that must acknowledge writes made on <paramref name="master"/>.</summary>
    public ValueTask<int> RequiredAsync(IServer master)
    {
        if (_configured is { } replicas)
        {
            return ValueTask.FromResult(replicas);
        }
        return _masters.TryGetValue(master.EndPoint, out var known) && (known.Replicas > 0 || Environment.TickCount64 - known.AtMs < RecheckMs)
            ? ValueTask.FromResult(known.Replicas > 0 ? 1 : 0)
            : LearnAsync(master, known);
    }

    private async ValueTask<int> LearnAsync(IServer master, Known? before)
    {
        int replicas;
        try
        {
            replicas = ConnectedReplicas(await master.ExecuteAsync("ROLE").ConfigureAwait(false));
        }
        catch (RedisServerException exception)
        {
            // A proxy or managed service that refuses ROLE replicates (or not) on its own terms: nothing to wait for here.
            if (before is null)
            {
                LogRoleRefused(logger, master.EndPoint.ToString() ?? "?", exception.Message);
            }
            replicas = 0;
        }
        _masters[master.EndPoint] = new Known(replicas, Environment.TickCount64);
        if (replicas > 0 && before?.Replicas is null or 0)
        {
            LogReplicated(logger, master.EndPoint.ToString() ?? "?", replicas);
        }
        return replicas > 0 ? 1 : 0;
    }

    /// <summary>
    /// The replicas a master's <c>ROLE</c> lists (<c>master</c>, offset, one entry per connected replica); ROLE, unlike
    /// INFO, needs no admin mode.
    /// </summary>
    internal static int ConnectedReplicas(RedisResult role) =>
        role.Resp2Type == ResultType.Array && role.Length >= 3 && (string?)role[0] == "master" ? role[2].Length : 0;

    private sealed record Known(int Replicas, long AtMs);

    [LoggerMessage(LogLevel.Warning, "Redis {Master} refused ROLE ({Reason}): its writes are not waited for; set Redis:ReplicaAcknowledgement:Replicas to require replicas")]
    private static partial void LogRoleRefused(ILogger logger, string master, string reason);

    [LoggerMessage(LogLevel.Information, "Redis master {Master} has {Replicas} replica(s): each script call on it waits until one holds its writes")]
    private static partial void LogReplicated(ILogger logger, string master, int replicas);
}

/// <summary>A script call's writes did not reach the replicas they must reach in time: the master may lose them in a failover.</summary>
public sealed class ReplicaAcknowledgementException(EndPoint master, long acknowledged, int required)
    : RedisException($"Redis master {master} got {acknowledged} of {required} replica acknowledgement(s) in time: " +
        "the call's writes may be lost in a failover, so its answer is not used");
