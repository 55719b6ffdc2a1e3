using FluxGate.Contracts;
using Microsoft.Extensions.Options;

namespace FluxGate.Persister;

/// <summary>Settings under <c>Persister:</c> (environment <c>Persister__BatchSize</c> …), validated at start.</summary>
public sealed class PersisterOptions
{
    public const string Section = "Persister";

    /// <summary>Kafka consumer group. Every persister instance of one deployment shares it.</summary>
    public string GroupId { get; set; } = "fluxgate-persister";

    public string Topic { get; set; } = Topics.Orders;

    /// <summary>
    /// Most events written in one database transaction. 2000 drained a backlog fastest in bench/persister-drain
    /// (500: ~22k rows/s, 1000: ~37k, 2000: ~44k, 5000: ~42k on a shared 2-core machine).
    /// </summary>
    public int BatchSize { get; set; } = 2000;

    /// <summary>Longest a batch waits to fill up after its first event, in milliseconds (the linger).</summary>
    public int BatchTimeoutMs { get; set; } = 50;

    /// <summary>First pause after a failed database write; doubles on every further failure.</summary>
    public int RetryInitialDelayMs { get; set; } = 100;

    /// <summary>Cap of the doubling pause between database retries.</summary>
    public int RetryMaxDelayMs { get; set; } = 5000;

    /// <summary>
    /// How long the group coordinator waits for a silent persister before it hands its partitions to another.
    /// Shorter than Kafka's 45 s default so a killed instance's partitions move on quickly; 6 s is the least a
    /// Kafka broker accepts by default (group.min.session.timeout.ms).
    /// </summary>
    public int SessionTimeoutMs { get; set; } = 6000;

    /// <summary>How long <c>/health</c> stays Degraded after a log gap (events dropped before they were persisted).</summary>
    public int LogGapDegradedSeconds { get; set; } = 900;

    public TimeSpan BatchTimeout => TimeSpan.FromMilliseconds(BatchTimeoutMs);
}

public sealed class PersisterOptionsValidator : IValidateOptions<PersisterOptions>
{
    public ValidateOptionsResult Validate(string? name, PersisterOptions options)
    {
        var failures = new List<string>();
        if (string.IsNullOrWhiteSpace(options.GroupId))
        {
            failures.Add("Persister:GroupId must name the Kafka consumer group (default fluxgate-persister).");
        }
        if (string.IsNullOrWhiteSpace(options.Topic))
        {
            failures.Add($"Persister:Topic must name the topic to consume (default {Topics.Orders}).");
        }
        if (options.BatchSize is < 1 or > 100_000)
        {
            failures.Add($"Persister:BatchSize must be between 1 and 100000 events; it is {options.BatchSize}.");
        }
        if (options.BatchTimeoutMs is < 1 or > 60_000)
        {
            failures.Add($"Persister:BatchTimeoutMs must be between 1 and 60000 ms; it is {options.BatchTimeoutMs}.");
        }
        if (options.RetryInitialDelayMs is < 1 or > 60_000)
        {
            failures.Add($"Persister:RetryInitialDelayMs must be between 1 and 60000 ms; it is {options.RetryInitialDelayMs}.");
        }
        if (options.RetryMaxDelayMs < options.RetryInitialDelayMs || options.RetryMaxDelayMs > 300_000)
        {
            failures.Add($"Persister:RetryMaxDelayMs must be between RetryInitialDelayMs ({options.RetryInitialDelayMs}) " +
                         $"and 300000 ms; it is {options.RetryMaxDelayMs}.");
        }
        if (options.SessionTimeoutMs is < 1000 or > 300_000)
        {
            failures.Add($"Persister:SessionTimeoutMs must be between 1000 and 300000 ms; it is {options.SessionTimeoutMs}.");
        }
        if (options.LogGapDegradedSeconds is < 1 or > 604_800)
        {
            failures.Add($"Persister:LogGapDegradedSeconds must be between 1 and 604800 s; it is {options.LogGapDegradedSeconds}.");
        }
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
