using System.Diagnostics;
using Confluent.Kafka;
using FluxGate.Clients;
using FluxGate.Persister.Decoding;
using FluxGate.Persister.Diagnostics;
using FluxGate.Persister.Writing;
using FluxGate.Storage.Schema;
using Microsoft.Extensions.Options;
using Polly;
using Polly.Retry;

namespace FluxGate.Persister.Consuming;

/// <summary>
/// Reads the orders topic in batches and lands each batch in PostgreSQL before committing its offsets.
/// </summary>
/// <remarks>
/// One dedicated thread owns the Kafka consumer (Consume blocks, and the rebalance callbacks run inside it), the
/// pending batch and the writes: <see cref="BatchAssembly"/> fills the batch, <see cref="WriteRetry"/> lands it,
/// this commits its offsets; <see cref="PartitionBook"/> keeps the partitions, Diagnostics/ reports.
/// </remarks>
public sealed partial class OrdersConsumer(
    KafkaConnection kafka,
    SchemaMigrator migrator,
    OrderBatchWriter writer,
    PersisterMetrics metrics,
    ConsumerLoopState state,
    LogGapGuard gaps,
    IOptions<PersisterOptions> options,
    TimeProvider timeProvider,
    ILogger<OrdersConsumer> logger) : BackgroundService
{
    private static readonly TimeSpan WatermarkQueryTimeout = TimeSpan.FromSeconds(5);

    private readonly PersisterOptions _options = options.Value;
    private readonly PendingBatch _pending = new();
    private readonly BatchTracing _tracing = new(options.Value.Topic, options.Value.GroupId);
    private readonly PartitionBook _partitions = new();

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Kafka or PostgreSQL failing the loop itself (a fatal consumer error, a timeout outside the write retry) restarts
        // it: a new consumer resumes from the committed offsets, as a restarted process would. A bug stops the host.
        var restarts = Retries(
            exception => exception.IsDependencyFault(),
            (exception, delay) =>
            {
                _partitions.Clear();
                state.Enter(ConsumerPhase.Starting, exception.Message);
                LogLoopRestarting(exception, delay.TotalMilliseconds);
            });
        try
        {
            await restarts.ExecuteAsync(async token =>
            {
                await MigrateAsync(token);
                // Consume blocks: the loop gets a thread of its own rather than holding a pool thread hostage.
                await Task.Factory.StartNew(() => Run(token), token, TaskCreationOptions.LongRunning, TaskScheduler.Default);
            }, stoppingToken);
            state.Enter(ConsumerPhase.Stopped);
        }
        catch (Exception) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping: a write cut short is rolled back and its messages are read again by the next owner.
            state.Enter(ConsumerPhase.Stopped);
        }
        catch (Exception exception)
        {
            state.Enter(ConsumerPhase.Faulted, exception.Message);
            LogLoopFaulted(exception);
            throw; // a bug: the host stops; a supervisor restarts the process, which resumes from the committed offsets
        }
    }

    private async Task MigrateAsync(CancellationToken stoppingToken)
    {
        state.Enter(ConsumerPhase.MigratingSchema);
        var untilMigrated = Retries(
            _ => true,
            (exception, delay) =>
            {
                state.Enter(ConsumerPhase.MigratingSchema, exception.Message);
                LogMigrationFailed(exception, delay.TotalMilliseconds);
            });
        await untilMigrated.ExecuteAsync(async token => await migrator.MigrateAsync(token), stoppingToken);
    }

    /// <summary>Retries for as long as the service runs, backing off exponentially with jitter up to the configured cap.</summary>
    private ResiliencePipeline Retries(Func<Exception, bool> handles, Action<Exception, TimeSpan> onRetry) =>
        new ResiliencePipelineBuilder { TimeProvider = timeProvider }
            .AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = arguments => ValueTask.FromResult(arguments.Outcome.Exception is { } exception
                    && !arguments.Context.CancellationToken.IsCancellationRequested && handles(exception)),
                MaxRetryAttempts = int.MaxValue,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = TimeSpan.FromMilliseconds(_options.RetryInitialDelayMs),
                MaxDelay = TimeSpan.FromMilliseconds(_options.RetryMaxDelayMs),
                OnRetry = arguments =>
                {
                    onRetry(arguments.Outcome.Exception!, arguments.RetryDelay);
                    return ValueTask.CompletedTask;
                },
            })
            .Build();

    private void Run(CancellationToken stoppingToken)
    {
        var assembly = new BatchAssembly(_options, _pending, _tracing, gaps, metrics, timeProvider, logger);
        var retry = new WriteRetry(writer, _pending, _tracing, state, metrics,
            new Backoff(TimeSpan.FromMilliseconds(_options.RetryInitialDelayMs), TimeSpan.FromMilliseconds(_options.RetryMaxDelayMs)),
            timeProvider, logger);
        using var consumer = BuildConsumer();
        consumer.Subscribe(_options.Topic);
        state.Enter(ConsumerPhase.Consuming);
        LogSubscribed(_options.Topic, _options.GroupId, _options.BatchSize, _options.BatchTimeoutMs);
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                state.Beat();
                assembly.Fill(consumer, stoppingToken);
                if (assembly.IsReady)
                {
                    Land(consumer, retry, stoppingToken);
                }
                SampleLag(consumer);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down: whatever is pending was not committed and will be read again.
        }
        finally
        {
            // Leave the group now rather than after the session timeout, so the partitions move on at once.
            _pending.Clear();
            _tracing.Clear();
            consumer.Close();
        }
    }

    private IConsumer<byte[]?, byte[]?> BuildConsumer()
    {
        var config = kafka.ConsumerConfig();
        config.GroupId = _options.GroupId;
        config.ClientId = $"fluxgate-persister-{Environment.MachineName}-{Environment.ProcessId}";
        config.EnableAutoCommit = false;
        config.EnableAutoOffsetStore = false;
        config.AutoOffsetReset = AutoOffsetReset.Earliest;
        config.SessionTimeoutMs = _options.SessionTimeoutMs;
        config.HeartbeatIntervalMs = Math.Max(100, _options.SessionTimeoutMs / 3); // Kafka's advice: a third of the session
        config.EnablePartitionEof = false;

        return new ConsumerBuilder<byte[]?, byte[]?>(config)
            .SetLogHandler((_, message) => KafkaClientLog.Message(logger, message))
            .SetErrorHandler((_, error) => KafkaClientLog.Error(logger, error))
            .SetPartitionsAssignedHandler((assigned, partitions) => OnAssigned(assigned, partitions))
            .SetPartitionsRevokedHandler((_, partitions) => OnGivenUp(partitions.Select(partition => partition.TopicPartition).ToList(), lost: false))
            .SetPartitionsLostHandler((_, partitions) => OnGivenUp(partitions.Select(partition => partition.TopicPartition).ToList(), lost: true))
            .Build();
    }

    /// <summary>Writes the pending batch until it lands, then commits its offsets; all of it inside the batch's span.</summary>
    private void Land(IConsumer<byte[]?, byte[]?> consumer, WriteRetry retry, CancellationToken stoppingToken)
    {
        _tracing.BatchStarted(_pending.Count);
        try
        {
            WriteAndCommit(consumer, retry, stoppingToken);
        }
        finally
        {
            _tracing.BatchEnded();
        }
    }

    private void WriteAndCommit(IConsumer<byte[]?, byte[]?> consumer, WriteRetry retry, CancellationToken stoppingToken)
    {
        var started = Stopwatch.GetTimestamp();
        var outcome = retry.WriteUntilLanded(consumer, () => SampleLag(consumer), stoppingToken);
        if (outcome is null)
        {
            return; // every partition of the batch was revoked while it was being retried
        }

        var offsets = _pending.CommitOffsets();
        _pending.Clear();
        try
        {
            consumer.Commit(offsets);
            _partitions.Committed(offsets);
        }
        catch (KafkaException exception)
        {
            // The batch is in the database with its applied offsets: a replay from the older committed offset is
            // skipped there, so a failed commit costs a re-read, never a duplicate.
            LogCommitFailed(exception.Error.Code, exception.Error.Reason);
            _tracing.CommitFailed(exception);
        }
        _tracing.Landed(outcome);

        var duration = Stopwatch.GetElapsedTime(started);
        metrics.Landed(outcome, duration);
        BatchReport.Landed(logger, outcome, duration);
    }

    private void OnAssigned(IConsumer<byte[]?, byte[]?> consumer, List<TopicPartition> partitions)
    {
        _partitions.Assigned(partitions);
        state.Assigned(_partitions.Owned);
        LogAssigned(partitions.Count, string.Join(", ", partitions.Select(partition => partition.Partition.Value)));
        if (partitions.Count == 0)
        {
            return;
        }
        gaps.Assigned(consumer, partitions);
        try
        {
            var ends = partitions
                .Select(partition => (partition.Topic, partition.Partition.Value,
                    consumer.QueryWatermarkOffsets(partition, WatermarkQueryTimeout).High.Value))
                .ToList();
            foreach (var (topic, partition, staleOffset) in writer.ForgetOffsetsBeyond(ends))
            {
                LogStaleOffsetForgotten(topic, partition, staleOffset);
            }
        }
        catch (Exception exception) when (exception is KafkaException or Npgsql.NpgsqlException or TimeoutException)
        {
            // Only a guard against a recreated topic; consuming goes on without it.
            LogStaleOffsetCheckFailed(exception);
        }
    }

    private void OnGivenUp(List<TopicPartition> partitions, bool lost)
    {
        var abandoned = _pending.Abandon(partitions);
        _tracing.Abandon(partitions);
        gaps.GivenUp(partitions);
        _partitions.GivenUp(partitions);
        state.Assigned(_partitions.Owned);
        LogGivenUp(lost ? "lost" : "revoked", partitions.Count, abandoned);
    }

    private void SampleLag(IConsumer<byte[]?, byte[]?> consumer)
    {
        if (_partitions.SampleLag(consumer) is { } lag)
        {
            metrics.SetConsumerLag(lag);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Consuming {Topic} in group {GroupId}: batches of up to {BatchSize} events or {BatchTimeoutMs} ms")]
    private partial void LogSubscribed(string topic, string groupId, int batchSize, int batchTimeoutMs);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Schema migration failed; retrying in {DelayMs:0} ms")]
    private partial void LogMigrationFailed(Exception exception, double delayMs);

    [LoggerMessage(Level = LogLevel.Critical, Message = "The consumer loop stopped")]
    private partial void LogLoopFaulted(Exception exception);

    [LoggerMessage(Level = LogLevel.Error, Message = "The consumer loop failed on a dependency; restarting it in {DelayMs:0} ms")]
    private partial void LogLoopRestarting(Exception exception, double delayMs);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Committing offsets failed ({Code}: {Reason}); the batch is persisted and a re-read will be skipped")]
    private partial void LogCommitFailed(ErrorCode code, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Assigned {Count} partitions: {Partitions}")]
    private partial void LogAssigned(int count, string partitions);

    [LoggerMessage(Level = LogLevel.Information, Message = "Partitions {How}: {Count}; {Abandoned} pending messages left for their next owner")]
    private partial void LogGivenUp(string how, int count, int abandoned);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Topic}[{Partition}] ends before the recorded applied offset {StaleOffset}: the topic was recreated, so the stale offset was forgotten")]
    private partial void LogStaleOffsetForgotten(string topic, int partition, long staleOffset);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not compare the assigned partitions' ends with the applied offsets")]
    private partial void LogStaleOffsetCheckFailed(Exception exception);
}
