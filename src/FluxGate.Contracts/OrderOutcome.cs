namespace FluxGate.Contracts;

/// <summary>
/// How an order ended, as the api decides it and answers <c>POST /order</c>; the waiting room reads it back from that
/// answer (<see cref="OrderOutcomes.FromAnswer"/>), where a refusal's reason is not told apart.
/// </summary>
public enum OrderOutcome
{
    /// <summary><c>200 {"status":"success"}</c>.</summary>
    Accepted,

    /// <summary><c>200 {"status":"ignored"}</c>: the key's order was accepted before.</summary>
    Duplicate,

    /// <summary><c>429 {"status":"in_progress"}</c>: the key's first request still waits for Kafka.</summary>
    InProgress,

    /// <summary><c>409 {"status":"sold_out"}</c>.</summary>
    SoldOut,

    /// <summary><c>409 {"status":"limit_reached"}</c>: the customer holds the product's purchase limit.</summary>
    LimitReached,

    /// <summary><c>302</c> to the waiting room.</summary>
    RateLimited,

    /// <summary><c>302</c> to the waiting room: a scheduled sale before its start (read back as <see cref="RateLimited"/>).</summary>
    NotOpenYet,

    /// <summary><c>403</c>: the admission token was used before (read back as <see cref="Refused"/>).</summary>
    AdmissionAlreadyUsed,

    /// <summary><c>401</c> or <c>403</c>: the shopper or their admission was refused.</summary>
    Refused,

    /// <summary>Any other <c>4xx</c>: the request itself was wrong.</summary>
    Invalid,

    /// <summary><c>500</c> (or any <c>5xx</c>): the same request may be sent again.</summary>
    Failed,

    /// <summary>No answer came (the caller's view only).</summary>
    Unreachable,
}

public static class OrderOutcomes
{
    /// <summary>What an answer to <c>POST /order</c> says: its status code and its body's <c>status</c>.</summary>
    public static OrderOutcome FromAnswer(int statusCode, string? status) => statusCode switch
    {
        200 when status == "ignored" => OrderOutcome.Duplicate,
        200 => OrderOutcome.Accepted,
        302 => OrderOutcome.RateLimited,
        409 when status == "limit_reached" => OrderOutcome.LimitReached,
        409 => OrderOutcome.SoldOut,
        429 => OrderOutcome.InProgress,
        401 or 403 => OrderOutcome.Refused,
        >= 400 and < 500 => OrderOutcome.Invalid,
        _ => OrderOutcome.Failed,
    };
}
