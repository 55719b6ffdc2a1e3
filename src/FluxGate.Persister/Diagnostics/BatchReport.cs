using FluxGate.Persister.Writing;

namespace FluxGate.Persister.Diagnostics;

/// <summary>What the log says of a landed batch: its counts, and the first of its dead letters and inconsistencies.</summary>
internal static partial class BatchReport
{
    private const int MaxDetailLogsPerBatch = 10;

    public static void Landed(ILogger logger, BatchOutcome outcome, TimeSpan duration)
    {
        if (outcome.RefusedTogether)
        {
            LogBatchRefused(logger, outcome.Received);
        }
        LogBatchLanded(logger, outcome.Received, outcome.OrdersInserted, outcome.DuplicateOrders, outcome.AlreadyApplied,
            outcome.StockInitializations, outcome.OrdersCancelled, outcome.DeadLetters.Count, duration.TotalMilliseconds);
        foreach (var deadLetter in outcome.DeadLetters.Take(MaxDetailLogsPerBatch))
        {
            LogDeadLettered(logger, deadLetter.Source.Topic, deadLetter.Source.Partition.Value, deadLetter.Source.Offset.Value, deadLetter.Error);
        }
        foreach (var inconsistency in outcome.Inconsistencies.Take(MaxDetailLogsPerBatch))
        {
            LogInconsistency(logger, inconsistency.Kind, inconsistency.ProductId, inconsistency.OrderId, inconsistency.StockAfter);
        }
        var unlogged = Math.Max(0, outcome.DeadLetters.Count - MaxDetailLogsPerBatch)
                       + Math.Max(0, outcome.Inconsistencies.Count - MaxDetailLogsPerBatch);
        if (unlogged > 0)
        {
            LogMoreProblems(logger, unlogged);
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Batch landed: {Received} messages, {Inserted} orders inserted, {Duplicates} duplicates, {AlreadyApplied} already applied, {Inits} inits, {Cancelled} cancelled, {DeadLetters} dead letters in {DurationMs:0.0} ms")]
    private static partial void LogBatchLanded(ILogger logger, int received, int inserted, int duplicates, int alreadyApplied, int inits, int cancelled, int deadLetters, double durationMs);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Dead-lettered {Topic}[{Partition}]@{Offset}: {Error}")]
    private static partial void LogDeadLettered(ILogger logger, string topic, int partition, long offset, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Stock inconsistency ({Kind}) on product {ProductId} for order {OrderId}: stock after = {StockAfter}; the order is kept")]
    private static partial void LogInconsistency(ILogger logger, InconsistencyKind kind, string productId, Guid orderId, int? stockAfter);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Count} more dead letters or inconsistencies in this batch (see the metrics)")]
    private static partial void LogMoreProblems(ILogger logger, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The database refused a batch of {Count} messages because of its content; it was applied one message at a time and the culprit dead-lettered")]
    private static partial void LogBatchRefused(ILogger logger, int count);
}
