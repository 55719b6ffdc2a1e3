using System.Diagnostics;
using Confluent.Kafka;
using FluxGate.Api.Options;
using FluxGate.Api.Telemetry;
using FluxGate.Clients;
using FluxGate.Contracts;
using Microsoft.Extensions.Options;

namespace FluxGate.Api.Kafka;

/// <summary>How sure we are that Kafka has a message after its delivery report.</summary>
public enum DeliveryOutcome
{
    Persisted,
    /// <summary>Kafka certainly does not have it (never sent, or refused): safe to undo the reservation.</summary>
    NotPersisted,
    /// <summary>Sent but not acknowledged in time: Kafka may have it. Undoing could sell the unit twice.</summary>
    PossiblyPersisted,
}

/// <summary>
/// The process's one idempotent producer for topic <c>orders</c> (acks=all, bounded delivery timeout,
/// key = product id so one product's events stay in order). A fatal producer error replaces the producer.
/// </summary>
public sealed partial class OrderEventProducer : IDisposable
{
    private readonly ProducerConfig _config;
    private readonly ILogger<OrderEventProducer> _logger;
    private readonly OrderMetrics _metrics;
    private readonly ActivitySource _activitySource;
    private readonly Lock _rebuild = new();
    private IProducer<string, byte[]> _producer;
    private volatile bool _fatal;

    public OrderEventProducer(KafkaConnection kafka, IOptions<KafkaProducerOptions> options, OrderMetrics metrics, ILogger<OrderEventProducer> logger)
        : this(kafka, options, metrics, logger, ProduceTracing.Source)
    {
    }

    /// <summary>With an <see cref="ActivitySource"/> of its own, so that a test decides alone whether anyone listens.</summary>
    internal OrderEventProducer(
        KafkaConnection kafka, IOptions<KafkaProducerOptions> options, OrderMetrics metrics, ILogger<OrderEventProducer> logger, ActivitySource activitySource)
    {
        _logger = logger;
        _metrics = metrics;
        _activitySource = activitySource;
        _config = CreateConfig(kafka, options.Value);
        _producer = Build();
    }

    internal static ProducerConfig CreateConfig(KafkaConnection kafka, KafkaProducerOptions options)
    {
        var config = kafka.ProducerConfig();
        config.Acks = Acks.All;
        config.EnableIdempotence = options.Idempotence;
        if (!options.Idempotence)
        {
            config.MaxInFlight = 1; // retries cannot reorder a product's events
        }
        config.MessageTimeoutMs = (int)options.DeliveryTimeout.TotalMilliseconds;
        config.LingerMs = options.LingerMs;
        config.SocketNagleDisable = true;
        // Only the outcome matters to the order; not copying key and value back saves work and memory per message.
        config.DeliveryReportFields = "status";
        config.ClientId ??= "fluxgate-api";
        return config;
    }

    public async Task<DeliveryOutcome> ProduceAsync(OrderEvent orderEvent)
    {
        var producer = CurrentProducer();
        var message = new Message<string, byte[]> { Key = orderEvent.ProductId, Value = OrderEventSerializer.Serialize(orderEvent) };
        using var activity = ProduceTracing.Start(_activitySource, message);
        var started = Stopwatch.GetTimestamp();
        try
        {
            // No request cancellation here: once handed over, the message may land whether or not the
            // shopper still waits, and the outcome must be known to keep Redis and Kafka in step.
            var delivery = await producer.ProduceAsync(Topics.Orders, message).ConfigureAwait(false);
            _metrics.RecordProduce(Stopwatch.GetElapsedTime(started), succeeded: true);
            if (activity is not null)
            {
                ProduceTracing.Delivered(activity, delivery.TopicPartitionOffset);
            }
            return DeliveryOutcome.Persisted;
        }
        catch (ProduceException<string, byte[]> exception)
        {
            _metrics.RecordProduce(Stopwatch.GetElapsedTime(started), succeeded: false);
            LogProduceFailed(_logger, orderEvent.ProductId, exception.Error.Code, exception.DeliveryResult?.Status, exception.Error.Reason);
            var outcome = exception.DeliveryResult?.Status == PersistenceStatus.PossiblyPersisted
                ? DeliveryOutcome.PossiblyPersisted
                : DeliveryOutcome.NotPersisted;
            if (activity is not null)
            {
                ProduceTracing.Failed(activity, exception.Error, outcome);
            }
            return outcome;
        }
        catch (KafkaException exception)
        {
            _metrics.RecordProduce(Stopwatch.GetElapsedTime(started), succeeded: false);
            LogProduceFailed(_logger, orderEvent.ProductId, exception.Error.Code, null, exception.Error.Reason);
            if (activity is not null)
            {
                ProduceTracing.Failed(activity, exception.Error, DeliveryOutcome.NotPersisted);
            }
            return DeliveryOutcome.NotPersisted;
        }
    }

    private IProducer<string, byte[]> CurrentProducer()
    {
        if (!_fatal)
        {
            return _producer;
        }
        lock (_rebuild)
        {
            if (_fatal)
            {
                var broken = _producer;
                _producer = Build();
                _fatal = false;
                broken.Dispose();
                LogProducerReplaced(_logger);
            }
            return _producer;
        }
    }

    private IProducer<string, byte[]> Build() =>
        new ProducerBuilder<string, byte[]>(_config)
            .SetErrorHandler((_, error) =>
            {
                if (error.IsFatal)
                {
                    _fatal = true;
                }
                LogKafkaError(_logger, error.Code, error.IsFatal, error.Reason);
            })
            .SetLogHandler((_, message) => LogLibrdkafka(_logger, message.Facility, message.Message))
            .Build();

    public void Dispose()
    {
        // Give queued messages a moment: their requests are still waiting for the answer.
        _producer.Flush(TimeSpan.FromSeconds(5));
        _producer.Dispose();
    }

    [LoggerMessage(LogLevel.Error, "Kafka produce for product {ProductId} failed: {Code} ({Status}) {Reason}")]
    private static partial void LogProduceFailed(ILogger logger, string productId, ErrorCode code, PersistenceStatus? status, string reason);

    [LoggerMessage(LogLevel.Warning, "Kafka error {Code} (fatal: {Fatal}): {Reason}")]
    private static partial void LogKafkaError(ILogger logger, ErrorCode code, bool fatal, string reason);

    [LoggerMessage(LogLevel.Debug, "librdkafka {Facility}: {Message}")]
    private static partial void LogLibrdkafka(ILogger logger, string facility, string message);

    [LoggerMessage(LogLevel.Warning, "The Kafka producer hit a fatal error and was replaced")]
    private static partial void LogProducerReplaced(ILogger logger);
}
