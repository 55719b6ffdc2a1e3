using FluxGate.Api.Redis;
using StackExchange.Redis;

namespace FluxGate.Api.Orders;

/// <summary>
/// Listens for units coming back (<see cref="RedisKeys.StockReturnedChannel"/>) and tells <see cref="SoldOutProducts"/>.
/// While the subscription's connection is down, messages may be missed, so nothing is answered locally then.
/// </summary>
public sealed partial class StockReturnedSubscription(IConnectionMultiplexer redis, SoldOutProducts soldOut, ILogger<StockReturnedSubscription> logger)
    : IHostedService
{
    private static readonly RedisChannel Channel = RedisChannel.Literal(RedisKeys.StockReturnedChannel);

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        redis.ConnectionFailed += OnConnectionFailed;
        redis.ConnectionRestored += OnConnectionRestored;
        try
        {
            await redis.GetSubscriber().SubscribeAsync(Channel, (_, message) => soldOut.Returned(RedisKeys.BucketOf(message.ToString())));
            soldOut.Listening(true);
        }
        catch (Exception exception) when (exception is RedisException or TimeoutException)
        {
            // StackExchange.Redis subscribes again when it reconnects; until then every order asks Redis.
            LogNotSubscribed(logger, exception);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        redis.ConnectionFailed -= OnConnectionFailed;
        redis.ConnectionRestored -= OnConnectionRestored;
        soldOut.Listening(false);
        return Task.CompletedTask;
    }

    // Any connection, not only the subscription's: with RESP3 the subscription shares the interactive connection.
    private void OnConnectionFailed(object? sender, ConnectionFailedEventArgs args) => soldOut.Listening(false);

    private void OnConnectionRestored(object? sender, ConnectionFailedEventArgs args) => soldOut.Listening(true);

    [LoggerMessage(LogLevel.Warning, "Could not subscribe to stock-returned messages; sold-out products are asked of Redis until the subscription connects")]
    private static partial void LogNotSubscribed(ILogger logger, Exception exception);
}
