using Confluent.Kafka;

namespace FluxGate.Persister.Diagnostics;

/// <summary>What the Kafka client (librdkafka) reports, in the consumer's log.</summary>
internal static partial class KafkaClientLog
{
    public static void Message(ILogger logger, LogMessage message) =>
        LogLibrdkafka(logger, ToLogLevel(message.Level), message.Facility, message.Message);

    public static void Error(ILogger logger, Confluent.Kafka.Error error)
    {
        if (error.IsFatal)
        {
            LogKafkaFatal(logger, error.Code, error.Reason);
        }
        else
        {
            LogKafkaError(logger, error.Code, error.Reason); // librdkafka keeps reconnecting on its own
        }
    }

    /// <summary>A poll that failed without ending the consumer (e.g. the topic does not exist yet).</summary>
    public static void ConsumeFailed(ILogger logger, ConsumeException exception) =>
        LogConsumeFailed(logger, exception.Error.Code, exception.Error.Reason);

    private static LogLevel ToLogLevel(SyslogLevel level) => level switch
    {
        SyslogLevel.Emergency or SyslogLevel.Alert or SyslogLevel.Critical => LogLevel.Critical,
        SyslogLevel.Error => LogLevel.Error,
        SyslogLevel.Warning => LogLevel.Warning,
        SyslogLevel.Notice or SyslogLevel.Info => LogLevel.Information,
        _ => LogLevel.Debug,
    };

    [LoggerMessage(Level = LogLevel.Warning, Message = "Kafka: {Code}: {Reason}")]
    private static partial void LogKafkaError(ILogger logger, ErrorCode code, string reason);

    [LoggerMessage(Level = LogLevel.Critical, Message = "Kafka fatal error: {Code}: {Reason}")]
    private static partial void LogKafkaFatal(ILogger logger, ErrorCode code, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Consume failed ({Code}: {Reason})")]
    private static partial void LogConsumeFailed(ILogger logger, ErrorCode code, string reason);

    [LoggerMessage(Message = "librdkafka {Facility}: {Message}")]
    private static partial void LogLibrdkafka(ILogger logger, LogLevel level, string facility, string message);
}
