using System.Text.Json;
using FluxGate.Contracts;

namespace FluxGate.WaitingRoom.Ordering;

/// <summary>What the API answered to <c>POST /order</c> (status and body as sent), or that it could not be reached.</summary>
public sealed record ApiOrderReply(int StatusCode, string Body, TimeSpan? RetryAfter)
{
    public const int UnreachableStatus = 0;

    public static ApiOrderReply Unreachable { get; } = new(UnreachableStatus, "", null);

    public OrderOutcome Outcome => StatusCode == UnreachableStatus
        ? OrderOutcome.Unreachable
        : OrderOutcomes.FromAnswer(StatusCode, Field("status"));

    /// <summary>Worth asking again later with the same idempotency key (the API said so, or did not answer).</summary>
    public bool IsRetryable => Outcome is OrderOutcome.InProgress or OrderOutcome.RateLimited
        or OrderOutcome.Failed or OrderOutcome.Unreachable;

    public string? OrderId => Field("orderId");

    /// <summary>The API's own words (<c>msg</c>, or <c>error</c> for a 400).</summary>
    public string? Message => Field("msg") ?? Field("error");

    private string? Field(string name)
    {
        if (Body.Length == 0)
        {
            return null;
        }
        try
        {
            using var document = JsonDocument.Parse(Body);
            return document.RootElement.ValueKind == JsonValueKind.Object
                   && document.RootElement.TryGetProperty(name, out var value)
                   && value.ValueKind == JsonValueKind.String
                ? value.GetString()
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
