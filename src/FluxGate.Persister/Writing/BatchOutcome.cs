using Confluent.Kafka;

namespace FluxGate.Persister.Writing;

/// <summary>What one committed write did. Counts are of messages of the batch, in the categories that matter for metrics and logs.</summary>
public sealed record BatchOutcome
{
    public static readonly BatchOutcome Empty = new();

    /// <summary>Messages handed to the writer.</summary>
    public int Received { get; init; }

    /// <summary>Messages at positions an earlier transaction already applied (a replay after a crash or rebalance): skipped.</summary>
    public int AlreadyApplied { get; init; }

    public int StockInitializations { get; init; }

    /// <summary>New rows in <c>orders</c>.</summary>
    public int OrdersInserted { get; init; }

    /// <summary>OrderAccepted events whose order id was already in <c>orders</c>: nothing inserted, no stock taken.</summary>
    public int DuplicateOrders { get; init; }

    /// <summary>Orders moved from 'accepted' to 'cancelled', each giving one unit back.</summary>
    public int OrdersCancelled { get; init; }

    /// <summary>Cancels of orders that were already cancelled: nothing changed.</summary>
    public int RepeatedCancels { get; init; }

    public IReadOnlyList<DeadLetter> DeadLetters { get; init; } = [];

    /// <summary>The database refused the batch as a whole, so it was applied one message per transaction.</summary>
    public bool RefusedTogether { get; init; }

    public IReadOnlyList<Inconsistency> Inconsistencies { get; init; } = [];

    public BatchOutcome Add(BatchOutcome other) => new()
    {
        Received = Received + other.Received,
        AlreadyApplied = AlreadyApplied + other.AlreadyApplied,
        StockInitializations = StockInitializations + other.StockInitializations,
        OrdersInserted = OrdersInserted + other.OrdersInserted,
        DuplicateOrders = DuplicateOrders + other.DuplicateOrders,
        OrdersCancelled = OrdersCancelled + other.OrdersCancelled,
        RepeatedCancels = RepeatedCancels + other.RepeatedCancels,
        DeadLetters = [.. DeadLetters, .. other.DeadLetters],
        Inconsistencies = [.. Inconsistencies, .. other.Inconsistencies],
        RefusedTogether = RefusedTogether || other.RefusedTogether,
    };
}

/// <summary>A message stored in <c>dead_letters</c> instead of being applied.</summary>
public sealed record DeadLetter(TopicPartitionOffset Source, string Error);
