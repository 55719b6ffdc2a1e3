using Confluent.Kafka;
using FluxGate.Persister.Decoding;
using FluxGate.Persister.Diagnostics;

namespace FluxGate.Persister.Consuming;

/// <summary>
/// Fills the pending batch from the consumer: until it holds <see cref="PersisterOptions.BatchSize"/> messages, or its
/// linger (<see cref="PersisterOptions.BatchTimeout"/>, from its first message) has run out, or, with nothing pending,
/// an idle poll ends. Runs on the consumer's thread.
/// </summary>
internal sealed class BatchAssembly(
    PersisterOptions options, PendingBatch pending, BatchTracing tracing, LogGapGuard gaps, PersisterMetrics metrics,
    TimeProvider time, ILogger logger)
{
    private static readonly TimeSpan IdlePoll = TimeSpan.FromSeconds(1);

    /// <summary>How long a poll that failed without ending the consumer waits before the next (e.g. the topic does not exist yet).</summary>
    public static readonly TimeSpan FailedPollPause = TimeSpan.FromMilliseconds(200);

    /// <summary>Whether the batch should be written now.</summary>
    public bool IsReady => pending.Count > 0 && (pending.Count >= options.BatchSize || LingerElapsed());

    public void Fill(IConsumer<byte[]?, byte[]?> consumer, CancellationToken stoppingToken)
    {
        var consumed = 0;
        try
        {
            while (pending.Count < options.BatchSize && !stoppingToken.IsCancellationRequested)
            {
                var result = consumer.Consume(pending.Count == 0 ? IdlePoll : RemainingLinger());
                if (result is null)
                {
                    if (pending.Count == 0 || LingerElapsed())
                    {
                        return;
                    }
                    continue;
                }
                gaps.Taken(consumer, result.TopicPartitionOffset);
                pending.Add(OrderMessageDecoder.Decode(result), time.GetUtcNow());
                tracing.Taken(result);
                consumed++;
            }
        }
        catch (ConsumeException exception) when (!exception.Error.IsFatal)
        {
            KafkaClientLog.ConsumeFailed(logger, exception);
            stoppingToken.WaitHandle.WaitOne(FailedPollPause); // do not spin
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
        var remaining = pending.StartedAt + options.BatchTimeout - time.GetUtcNow();
        return remaining > TimeSpan.Zero ? remaining : TimeSpan.Zero;
    }

    private bool LingerElapsed() => RemainingLinger() == TimeSpan.Zero;
}
