using Confluent.Kafka;
using Npgsql;
using StackExchange.Redis;

namespace FluxGate.Clients;

/// <summary>
/// Which backing service an exception says failed: the one test every service's error mapping and background loop
/// shares. A timeout counts: StackExchange.Redis's <see cref="RedisTimeoutException"/> is a <see cref="TimeoutException"/>,
/// not a <see cref="RedisException"/>, and Npgsql's command timeouts arrive as a <see cref="TimeoutException"/> inside an
/// <see cref="NpgsqlException"/>.
/// </summary>
public static class DependencyFaults
{
    public const string Redis = "redis";
    public const string Kafka = "kafka";
    public const string PostgreSql = "postgresql";
    public const string Timeout = "timeout";

    /// <summary>
    /// <see cref="Redis"/>, <see cref="Kafka"/>, <see cref="PostgreSql"/>, <see cref="Timeout"/> (a timeout of a client that
    /// does not say which), or null when the exception is not a dependency's failure (a bug, bad input, cancellation).
    /// </summary>
    public static string? Of(Exception exception) => exception switch
    {
        RedisException or RedisTimeoutException => Redis,
        KafkaException => Kafka,
        NpgsqlException => PostgreSql,
        TimeoutException => Timeout,
        AggregateException { InnerExceptions: [var inner] } => Of(inner),
        DependencyUnavailableException { InnerException: { } inner } => Of(inner),
        _ => null,
    };

    public static bool IsDependencyFault(this Exception exception) => Of(exception) is not null;
}

/// <summary>A service's own name for a dependency's failure (e.g. the waiting room's queue store is down): still one.</summary>
public abstract class DependencyUnavailableException(string message, Exception inner) : Exception(message, inner);
