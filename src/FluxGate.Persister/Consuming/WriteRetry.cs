using Confluent.Kafka;
using FluxGate.Persister.Diagnostics;
using FluxGate.Persister.Writing;

namespace FluxGate.Persister.Consuming;

/// <summary>
/// Writes the pending batch until it lands. While a write fails, every partition is paused and the consumer's thread
/// keeps polling between attempts, so the group still sees it alive and can rebalance, yet nothing new is consumed.
/// Its back-off is its own (<see cref="Backoff"/>), not Polly's: the wait between attempts must poll Kafka.
/// </summary>
internal sealed partial class WriteRetry(
    OrderBatchWriter writer, PendingBatch pending, BatchTracing tracing, ConsumerLoopState state, PersisterMetrics metrics,
    Backoff backoff, TimeProvider time, ILogger logger)
{
    /// <param name="duringWait">Called at each poll of a wait (the consumer's lag: an outage is when it matters most).</param>
    /// <returns>The batch's outcome, or null when every partition of the batch was revoked meanwhile.</returns>
    public BatchOutcome? WriteUntilLanded(IConsumer<byte[]?, byte[]?> consumer, Action duringWait, CancellationToken stoppingToken)
    {
        var paused = false;
        try
        {
            for (var attempt = 1; ; attempt++)
            {
                stoppingToken.ThrowIfCancellationRequested();
                if (pending.Count == 0)
                {
                    return null;
                }
                try
                {
                    var outcome = writer.Write(pending.Messages);
                    if (paused)
                    {
                        state.Enter(ConsumerPhase.Consuming);
                        LogWriteRecovered(attempt);
                    }
                    return outcome;
                }
                catch (Exception exception) when (!stoppingToken.IsCancellationRequested)
                {
                    var delay = backoff.Delay(attempt);
                    state.Enter(ConsumerPhase.RetryingWrite, exception.Message);
                    metrics.WriteRetried();
                    tracing.WriteFailed(exception);
                    LogWriteFailed(exception, pending.Count, attempt, delay.TotalMilliseconds);
                    if (!paused)
                    {
                        consumer.Pause(consumer.Assignment);
                        paused = true;
                    }
                    WaitServingTheGroup(consumer, delay, duringWait, stoppingToken);
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
    private void WaitServingTheGroup(IConsumer<byte[]?, byte[]?> consumer, TimeSpan delay, Action duringWait, CancellationToken stoppingToken)
    {
        var until = time.GetUtcNow() + delay;
        while (!stoppingToken.IsCancellationRequested && pending.Count > 0)
        {
            state.Beat();
            duringWait();
            var remaining = until - time.GetUtcNow();
            if (remaining <= TimeSpan.Zero)
            {
                return;
            }
            try
            {
                var result = consumer.Consume(remaining < BatchAssembly.FailedPollPause ? remaining : BatchAssembly.FailedPollPause);
                if (result is not null)
                {
                    consumer.Seek(result.TopicPartitionOffset);
                    consumer.Pause([result.TopicPartition]);
                }
            }
            catch (ConsumeException exception) when (!exception.Error.IsFatal)
            {
                KafkaClientLog.ConsumeFailed(logger, exception);
                stoppingToken.WaitHandle.WaitOne(BatchAssembly.FailedPollPause);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Writing a batch of {Count} messages failed (attempt {Attempt}); retrying in {DelayMs:0} ms with consumption paused")]
    private partial void LogWriteFailed(Exception exception, int count, int attempt, double delayMs);

    [LoggerMessage(Level = LogLevel.Information, Message = "The batch landed after {Attempts} attempts; consuming again")]
    private partial void LogWriteRecovered(int attempts);
}
