using System.Text.Json;
using System.Text.Json.Serialization;
using FluxGate.Clients;
using FluxGate.WaitingRoom.Queue;

namespace FluxGate.WaitingRoom.Apis;

/// <summary>Body of a join: who the ticket is for, when the 302 said so (both or neither).</summary>
public sealed record JoinRequest([property: JsonConverter(typeof(JsonOptionalTextConverter))] string? UserId, [property: JsonConverter(typeof(JsonOptionalTextConverter))] string? IdempotencyKey);

/// <summary>Body of the order hand-off: the shopper's order, as the 302 carried it.</summary>
public sealed record OrderHandOffRequest([property: JsonConverter(typeof(JsonOptionalTextConverter))] string? UserId, [property: JsonConverter(typeof(JsonOptionalTextConverter))] string? IdempotencyKey);

/// <summary>Body of an admission request for a shopper who goes back to the shop.</summary>
public sealed record AdmissionRequest([property: JsonConverter(typeof(JsonOptionalTextConverter))] string? ReturnUrl);

public sealed record AdmissionResponse(string AdmissionToken, DateTimeOffset ExpiresAt, string RedirectUrl);

/// <summary>
/// Where a ticket stands. <c>status</c>: upcoming (a scheduled sale's pre-queue, before <c>startsAt</c>) | waiting | served
/// | sold_out | not_on_sale. <c>ticketNumber</c> is the place in line (for a pre-queue ticket, the place drawn at the start).
/// </summary>
public sealed record QueueStatusResponse(
    string Status,
    string Msg,
    string ProductId,
    string? Ticket,
    long? TicketNumber,
    long NowServing,
    long Position,
    long PeopleAhead,
    double EstimatedWaitSeconds,
    string EstimatedWait,
    long RetryAfterMs,
    bool Rejoined,
    DateTimeOffset? StartsAt = null,
    long? PreQueue = null)
{
    public static QueueStatusResponse From(TicketStatus status, TicketHandles handles) => new(
        StatusName(status.State),
        Describe(status),
        status.ProductId,
        status.Ticket > 0 ? handles.Create(status.ProductId, status.Ticket) : null,
        status.Ticket > 0 && status.State != QueueState.Upcoming ? status.Place : null,
        status.NowServing,
        status.Position,
        status.PeopleAhead,
        Math.Round(status.EstimatedWait.TotalSeconds, 1),
        QueueArithmetic.DescribeWait(status.EstimatedWait),
        (long)status.RetryAfter.TotalMilliseconds,
        status.Rejoined,
        status.StartsAt,
        status.State == QueueState.Upcoming ? status.PreQueue : null);

    public static string StatusName(QueueState state) => state switch
    {
        QueueState.Upcoming => "upcoming",
        QueueState.Waiting => "waiting",
        QueueState.Served => "served",
        QueueState.SoldOut => "sold_out",
        QueueState.NotOnSale => "not_on_sale",
        _ => "unknown_ticket",
    };

    private static string Describe(TicketStatus status) => status.State switch
    {
        QueueState.Upcoming => $"The sale opens at {status.StartsAt:yyyy-MM-dd HH:mm:ss} UTC: everyone who joins before then gets a random place in line",
        QueueState.Waiting => $"You are number {status.Position} in line",
        QueueState.Served => "It is your turn",
        QueueState.SoldOut => "Inventory empty",
        QueueState.NotOnSale => "This product is not on sale",
        _ => "Unknown ticket: join the queue again",
    };
}

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(JoinRequest))]
[JsonSerializable(typeof(OrderHandOffRequest))]
[JsonSerializable(typeof(AdmissionRequest))]
[JsonSerializable(typeof(AdmissionResponse))]
[JsonSerializable(typeof(StatusResponse))]
[JsonSerializable(typeof(QueueStatusResponse))]
internal sealed partial class WaitingRoomJsonContext : JsonSerializerContext;
