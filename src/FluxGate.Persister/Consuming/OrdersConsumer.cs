using System.Diagnostics;
using Confluent.Kafka;
using FluxGate.Clients;
using FluxGate.Persister.Decoding;
using FluxGate.Persister.Diagnostics;
using FluxGate.Storage.Schema;
using FluxGate.Persister.Writing;
using Microsoft.Extensions.Options;
using Polly;
using Polly.Retry;

namespace FluxGate.Persister.Consuming;

/// <summary>
/// Reads the orders topic in batches and lands each batch in PostgreSQL before committing its offsets.
/// </summary>
/// <remarks>
/// One dedicated thread owns the Kafka consumer (Consume blocks, and the rebalance callbacks run inside it),
/// the pending batch and the writes. While a write fails the thread keeps polling with every partition paused:
/// the group still sees it alive and can rebalance, yet nothing new is consumed until the batch has landed.
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
    private static readonly TimeSpan IdlePoll = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan PausedPoll = TimeSpan.FromMilliseconds(200);
    private static readonly TimeSpan WatermarkQueryTimeout = TimeSpan.FromSeconds(5);

    private readonly PersisterOptions _options = options.Value;
    private readonly PendingBatch _pending = new();
    private readonly BatchTracing _tracing = new(options.Value.Topic, options.Value.GroupId);
    private readonly PartitionBook _partitions = new();
    // The write retry's own back-off, not Polly's: between attempts it keeps polling the paused consumer on this thread
    // (WaitServingTheGroup), which a retry strategy's delay cannot do.
    private readonly Backoff _backoff = new(
        TimeSpan.FromMilliseconds(options.Value.RetryInitialDelayMs), TimeSpan.FromMilliseconds(options.Value.RetryMaxDelayMs));

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
        using var consumer = BuildConsumer();
        consumer.Subscribe(_options.Topic);
        state.Enter(ConsumerPhase.Consuming);
        LogSubscribed(_options.Topic, _options.GroupId, _options.BatchSize, _options.BatchTimeoutMs);
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                state.Beat();
                Fill(consumer, stoppingToken);
                if (_pending.Count > 0 && (_pending.Count >= _options.BatchSize || LingerElapsed()))
                {
                    Land(consumer, stoppingToken);
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

    /// <summary>Reads until the batch is full, its linger has run out, or (with nothing pending) the idle poll ends.</summary>
    private void Fill(IConsumer<byte[]?, byte[]?> consumer, CancellationToken stoppingToken)
    {
        var consumed = 0;
        try
        {
            while (_pending.Count < _options.BatchSize && !stoppingToken.IsCancellationRequested)
            {
                var timeout = _pending.Count == 0 ? IdlePoll : RemainingLinger();
                var result = consumer.Consume(timeout);
                if (result is null)
                {
                    if (_pending.Count == 0 || LingerElapsed())
                    {
                        return;
                    }
                    continue;
                }
                gaps.Taken(consumer, result.TopicPartitionOffset);
                _pending.Add(OrderMessageDecoder.Decode(result), timeProvider.GetUtcNow());
                _tracing.Taken(result);
                consumed++;
            }
        }
        catch (ConsumeException exception) when (!exception.Error.IsFatal)
        {
            LogConsumeFailed(exception.Error.Code, exception.Error.Reason);
            stoppingToken.WaitHandle.WaitOne(PausedPoll); // e.g. the topic does not exist yet: do not spin
        }
        finally
        {
            if (consumed > 0)
            {
                metrics.Consumed(consumed);
            }
        }
    }

    private TimeSpan RemainingLinger()
    {
        var remaining = _pending.StartedAt + _options.BatchTimeout - timeProvider.GetUtcNow();
        return remaining > TimeSpan.Zero ? remaining : TimeSpan.Zero;
    }

    private bool LingerElapsed() => RemainingLinger() == TimeSpan.Zero;

    /// <summary>Writes the pending batch until it lands, then commits its offsets; all of it inside the batch's span.</summary>
    private void Land(IConsumer<byte[]?, byte[]?> consumer, CancellationToken stoppingToken)
    {
        _tracing.BatchStarted(_pending.Count);
        try
        {
            WriteAndCommit(consumer, stoppingToken);
        }
        finally
        {
            _tracing.BatchEnded();
        }
    }

    private void WriteAndCommit(IConsumer<byte[]?, byte[]?> consumer, CancellationToken stoppingToken)
    {
        var started = Stopwatch.GetTimestamp();
        var outcome = WriteUntilLanded(consumer, stoppingToken);
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

    private BatchOutcome? WriteUntilLanded(IConsumer<byte[]?, byte[]?> consumer, CancellationToken stoppingToken)
    {
        var paused = false;
        try
        {
            for (var attempt = 1; ; attempt++)
            {
                stoppingToken.ThrowIfCancellationRequested();
                if (_pending.Count == 0)
                {
                    return null;
                }
                try
                {
                    var outcome = writer.Write(_pending.Messages);
                    if (paused)
                    {
                        state.Enter(ConsumerPhase.Consuming);
                        LogWriteRecovered(attempt);
                    }
                    return outcome;
                }
                catch (Exception exception) when (!stoppingToken.IsCancellationRequested)
                {
                    var delay = _backoff.Delay(attempt);
                    state.Enter(ConsumerPhase.RetryingWrite, exception.Message);
                    metrics.WriteRetried();
                    _tracing.WriteFailed(exception);
                    LogWriteFailed(exception, _pending.Count, attempt, delay.TotalMilliseconds);
                    if (!paused)
                    {
                        consumer.Pause(consumer.Assignment);
                        paused = true;
                    }
                    WaitServingTheGroup(consumer, delay, stoppingToken);
                }
            }
        }
        finally
        {
            if (paused)
            {
                consumer.Resume(consumer.Assignment);
            }
        }
    }

    /// <summary>
    /// Waits out a retry delay while still polling, so heartbeats, the poll interval and rebalances go on. The
    /// partitions are paused; a message that still arrives (prefetched, or from a partition assigned meanwhile) is
    /// put back by seeking to it, to be read again after the batch has landed.
    /// </summary>
    private void WaitServingTheGroup(IConsumer<byte[]?, byte[]?> consumer, TimeSpan delay, CancellationToken stoppingToken)
    {
        var until = timeProvider.GetUtcNow() + delay;
        while (!stoppingToken.IsCancellationRequested && _pending.Count > 0)
        {
            state.Beat();
            SampleLag(consumer); // an outage is when the lag matters most
            var remaining = until - timeProvider.GetUtcNow();
            if (remaining <= TimeSpan.Zero)
            {
                return;
            }
            try
            {
                var result = consumer.Consume(remaining < PausedPoll ? remaining : PausedPoll);
                if (result is not null)
                {
                    consumer.Seek(result.TopicPartitionOffset);
                    consumer.Pause([result.TopicPartition]);
                }
            }
            catch (ConsumeException exception) when (!exception.Error.IsFatal)
            {
                LogConsumeFailed(exception.Error.Code, exception.Error.Reason);
                stoppingToken.WaitHandle.WaitOne(PausedPoll);
            }
        }
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

    [LoggerMessage(Level = LogLevel.Warning, Message = "Writing a batch of {Count} messages failed (attempt {Attempt}); retrying in {DelayMs:0} ms with consumption paused")]
    private partial void LogWriteFailed(Exception exception, int count, int attempt, double delayMs);

    [LoggerMessage(Level = LogLevel.Information, Message = "The batch landed after {Attempts} attempts; consuming again")]
    private partial void LogWriteRecovered(int attempts);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Committing offsets failed ({Code}: {Reason}); the batch is persisted and a re-read will be skipped")]
    private partial void LogCommitFailed(ErrorCode code, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Consume failed ({Code}: {Reason})")]
    private partial void LogConsumeFailed(ErrorCode code, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Assigned {Count} partitions: {Partitions}")]
    private partial void LogAssigned(int count, string partitions);

    [LoggerMessage(Level = LogLevel.Information, Message = "Partitions {How}: {Count}; {Abandoned} pending messages left for their next owner")]
    private partial void LogGivenUp(string how, int count, int abandoned);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Topic}[{Partition}] ends before the recorded applied offset {StaleOffset}: the topic was recreated, so the stale offset was forgotten")]
    private partial void LogStaleOffsetForgotten(string topic, int partition, long staleOffset);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not compare the assigned partitions' ends with the applied offsets")]
    private partial void LogStaleOffsetCheckFailed(Exception exception);
}
