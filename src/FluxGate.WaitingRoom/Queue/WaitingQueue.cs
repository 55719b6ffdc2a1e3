using System.Globalization;
using FluxGate.Clients;
using FluxGate.WaitingRoom.Options;
using FluxGate.WaitingRoom.Telemetry;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace FluxGate.WaitingRoom.Queue;

/// <summary>The fair FIFO line of each product, kept in Redis: one script round trip per join and per poll.</summary>
public sealed class WaitingQueue(
    IConnectionMultiplexer redis,
    ISaleStates sales,
    IOptions<WaitingRoomOptions> options,
    WaitingRoomMetrics metrics)
{
    private static readonly RedisScript JoinScript = new("join", QueueScripts.Join);
    private static readonly RedisScript PollScript = new("poll", QueueScripts.Poll);

    private readonly WaitingRoomOptions _options = options.Value;

    /// <summary>
    /// Takes a ticket. With a (userId, idempotency key) the same shopper gets the same ticket back for
    /// <see cref="WaitingRoomOptions.TicketTtl"/>: a refresh neither jumps nor loses the place.
    /// </summary>
    public async Task<TicketStatus> JoinAsync(string productId, ShopperIdentity? shopper)
    {
        RedisKey[] keys = shopper is null
            ? [QueueKeys.Issued(productId), QueueKeys.Serving(productId)]
            : [QueueKeys.Issued(productId), QueueKeys.Serving(productId), QueueKeys.Owner(productId, shopper.UserId, shopper.IdempotencyKey)];
        var sale = await sales.GetAsync(productId);
        var reply = await RunAsync(JoinScript, keys, [Rate, (long)_options.TicketTtl.TotalMilliseconds, (int)sale]);
        var status = ToStatus(productId, reply, ticket: reply.Ticket);
        metrics.Joined(status);
        return status;
    }

    /// <summary>Where <paramref name="ticket"/> stands now.</summary>
    public async Task<TicketStatus> GetStatusAsync(string productId, long ticket)
    {
        var sale = await sales.GetAsync(productId);
        var reply = await RunAsync(PollScript, [QueueKeys.Issued(productId), QueueKeys.Serving(productId)], [Rate, (int)sale]);
        return ToStatus(productId, reply, ticket);
    }

    private RedisValue Rate => _options.AdmissionRatePerSecond.ToString("R", CultureInfo.InvariantCulture);

    private TicketStatus ToStatus(string productId, ScriptReply reply, long ticket)
    {
        metrics.ObserveQueue(productId, reply.Issued, reply.Serving);
        return reply.Code switch
        {
            1 => TicketStatus.Closed(QueueState.SoldOut, productId, ticket, reply.Serving, reply.Rejoined),
            2 => TicketStatus.Closed(QueueState.NotOnSale, productId, ticket, reply.Serving, reply.Rejoined),
            _ => TicketStatus.From(productId, ticket, reply.Serving, reply.Issued, _options.AdmissionRatePerSecond,
                reply.Rejoined, _options.MinPollInterval, _options.MaxPollInterval),
        };
    }

    private async Task<ScriptReply> RunAsync(RedisScript script, RedisKey[] keys, RedisValue[] values)
    {
        RedisResult result;
        try
        {
            result = await script.EvaluateAsync(redis.GetDatabase(), keys, values);
        }
        catch (Exception exception) when (exception is RedisConnectionException or RedisTimeoutException or TimeoutException)
        {
            throw new QueueUnavailableException(exception);
        }

        var parts = (RedisResult[])result!;
        return new ScriptReply(
            Code: (int)parts[0],
            Ticket: (long)parts[1],
            Serving: double.Parse((string)parts[2]!, NumberStyles.Float, CultureInfo.InvariantCulture),
            Issued: (long)parts[3],
            Rejoined: (int)parts[4] == 1);
    }

    private readonly record struct ScriptReply(int Code, long Ticket, double Serving, long Issued, bool Rejoined);
}

/// <summary>Who a ticket belongs to, when the 302 said so: the order the room will place for them.</summary>
public sealed record ShopperIdentity(string UserId, string IdempotencyKey);
