using System.Globalization;
using FluxGate.Clients;
using FluxGate.WaitingRoom.Options;
using FluxGate.WaitingRoom.Telemetry;
using Microsoft.Extensions.Options;
using FluxGate.Contracts;
using StackExchange.Redis;

namespace FluxGate.WaitingRoom.Queue;

/// <summary>The fair FIFO line of each product, kept in Redis: one script round trip per join and per poll.</summary>
public sealed class WaitingQueue(
    IConnectionMultiplexer redis,
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
            ? [QueueKeys.Issued(productId), QueueKeys.Serving(productId), FluxGate.Contracts.RedisKeys.Stock(productId)]
            : [QueueKeys.Issued(productId), QueueKeys.Serving(productId), FluxGate.Contracts.RedisKeys.Stock(productId),
               QueueKeys.Owner(productId, shopper.UserId, shopper.IdempotencyKey)];
        RedisValue[] values = [Rate, (long)_options.TicketTtl.TotalMilliseconds];

        var reply = await RunAsync(JoinScript, keys, values);
        if (reply.Code == SoldOut && await OtherStockBucketsHaveUnitsAsync(productId))
        {
            reply = await RunAsync(JoinScript, keys, [.. values, ElsewhereHasUnits]);
        }
        var status = ToStatus(productId, reply, ticket: reply.Ticket);
        metrics.Joined(status);
        return status;
    }

    /// <summary>Where <paramref name="ticket"/> stands now.</summary>
    public async Task<TicketStatus> GetStatusAsync(string productId, long ticket)
    {
        RedisKey[] keys = [QueueKeys.Issued(productId), QueueKeys.Serving(productId), FluxGate.Contracts.RedisKeys.Stock(productId)];
        var reply = await RunAsync(PollScript, keys, [Rate]);
        if (reply.Code == SoldOut && await OtherStockBucketsHaveUnitsAsync(productId))
        {
            reply = await RunAsync(PollScript, keys, [Rate, ElsewhereHasUnits]);
        }
        return ToStatus(productId, reply, ticket);
    }

    private const int SoldOut = 1;
    private static readonly RedisValue ElsewhereHasUnits = "1";

    /// <summary>
    /// The scripts see the stock of the product's first bucket only (their keys share its slot). For a product split over
    /// several stock buckets, an empty first bucket is checked against the others before the line closes: an order whose
    /// bucket is empty is still served from another one.
    /// </summary>
    private async Task<bool> OtherStockBucketsHaveUnitsAsync(string productId)
    {
        var database = redis.GetDatabase();
        var count = (int?)await RunReadAsync(database.HashGetAsync(FluxGate.Contracts.RedisKeys.Ledger(productId), StockBuckets.CountField)) ?? 1;
        if (count <= 1)
        {
            return false;
        }
        var buckets = StockBuckets.Of(productId, Math.Min(count, StockBuckets.Max));
        var stocks = await RunReadAsync(Task.WhenAll(buckets.Skip(1).Select(bucket => database.StringGetAsync(FluxGate.Contracts.RedisKeys.Stock(bucket)))));
        return stocks.Any(stock => (long?)stock > 0);
    }

    private static async Task<T> RunReadAsync<T>(Task<T> read)
    {
        try
        {
            return await read;
        }
        catch (Exception exception) when (exception is RedisConnectionException or RedisTimeoutException or TimeoutException)
        {
            throw new QueueUnavailableException(exception);
        }
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
