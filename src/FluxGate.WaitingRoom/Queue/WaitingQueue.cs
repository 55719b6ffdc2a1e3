using System.Globalization;
using System.Security.Cryptography;
using FluxGate.Clients;
using FluxGate.WaitingRoom.Options;
using FluxGate.WaitingRoom.Telemetry;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace FluxGate.WaitingRoom.Queue;

/// <summary>
/// The fair line of each product, kept in Redis: one script round trip per join and per poll. FIFO, but for a scheduled
/// sale's pre-queue: whoever joins before the start gets a random place ahead of everyone who joins later.
/// </summary>
public sealed partial class WaitingQueue(
    IConnectionMultiplexer redis,
    ISaleStates sales,
    IOptions<WaitingRoomOptions> options,
    WaitingRoomMetrics metrics,
    ILogger<WaitingQueue> logger)
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
        var reply = await RunAsync(productId, JoinScript, keys,
            [Rate, (long)_options.TicketTtl.TotalMilliseconds, (int)sale.State, .. Schedule(sale)]);
        var status = ToStatus(productId, sale, reply, ticket: reply.Ticket);
        metrics.Joined(status);
        return status;
    }

    /// <summary>Where <paramref name="ticket"/> stands now.</summary>
    public async Task<TicketStatus> GetStatusAsync(string productId, long ticket)
    {
        var sale = await sales.GetAsync(productId);
        var reply = await RunAsync(productId, PollScript, [QueueKeys.Issued(productId), QueueKeys.Serving(productId)],
            [Rate, (int)sale.State, .. Schedule(sale)]);
        return ToStatus(productId, sale, reply, ticket);
    }

    /// <summary>The start and a fresh seed for the shuffle, drawn by every call: the start's first call keeps its own.</summary>
    private static RedisValue[] Schedule(Sale sale) => sale.StartsAt is { } start
        ? [start.ToUnixTimeMilliseconds(), RandomNumberGenerator.GetHexString(64, lowercase: true)]
        : [RedisValue.EmptyString, RedisValue.EmptyString];

    private RedisValue Rate => _options.AdmissionRatePerSecond.ToString("R", CultureInfo.InvariantCulture);

    private TicketStatus ToStatus(string productId, Sale sale, ScriptReply reply, long ticket)
    {
        metrics.ObserveQueue(productId, reply.Issued, reply.Serving);
        return reply.Code switch
        {
            1 => TicketStatus.Closed(QueueState.SoldOut, productId, ticket, reply.Serving, reply.Rejoined),
            2 => TicketStatus.Closed(QueueState.NotOnSale, productId, ticket, reply.Serving, reply.Rejoined),
            _ when reply.Phase == 1 => TicketStatus.Upcoming(productId, ticket, reply.Issued - reply.From, sale.StartsAt!.Value,
                reply.Rejoined, _options.MaxPollInterval),
            _ => TicketStatus.From(productId, ticket, PlaceOf(ticket, reply), reply.Serving, reply.Issued,
                _options.AdmissionRatePerSecond, reply.Rejoined, _options.MinPollInterval, _options.MaxPollInterval),
        };
    }

    /// <summary>Where a ticket stands in the line: its own number, or for one taken before the start its shuffled place.</summary>
    private static long PlaceOf(long ticket, ScriptReply reply) =>
        reply.Phase >= 2 && ticket > reply.From && ticket <= reply.To && reply.Seed.Length > 0
            ? reply.From + 1 + PreQueueShuffle.Place(Convert.FromHexString(reply.Seed), reply.To - reply.From, ticket - reply.From - 1)
            : ticket;

    private async Task<ScriptReply> RunAsync(string productId, RedisScript script, RedisKey[] keys, RedisValue[] values)
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
        var reply = new ScriptReply(
            Code: (int)parts[0],
            Ticket: (long)parts[1],
            Serving: double.Parse((string)parts[2]!, NumberStyles.Float, CultureInfo.InvariantCulture),
            Issued: (long)parts[3],
            Rejoined: (int)parts[4] == 1,
            Phase: (int)parts[5],
            From: (long)parts[6],
            To: (long)parts[7],
            Seed: (string?)parts[8] ?? "");
        if (reply.Phase == 3)
        {
            // For audit: with the seed and the pre-queue's range, anyone can recompute every place (PreQueueShuffle).
            LogShuffled(logger, productId, reply.To - reply.From, reply.From + 1, reply.To, reply.Seed);
        }
        return reply;
    }

    private readonly record struct ScriptReply(
        int Code, long Ticket, double Serving, long Issued, bool Rejoined, int Phase, long From, long To, string Seed);

    [LoggerMessage(LogLevel.Information,
        "The sale of {ProductId} opened: its pre-queue of {Count} (tickets {First}–{Last}) shuffled with seed {Seed}")]
    private static partial void LogShuffled(ILogger logger, string productId, long count, long first, long last, string seed);
}

/// <summary>Who a ticket belongs to, when the 302 said so: the order the room will place for them.</summary>
public sealed record ShopperIdentity(string UserId, string IdempotencyKey);
