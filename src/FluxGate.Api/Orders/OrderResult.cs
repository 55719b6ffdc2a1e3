using FluxGate.Contracts;

namespace FluxGate.Api.Orders;

/// <summary>The end of one order's journey, before it becomes an HTTP answer.</summary>
public readonly record struct OrderResult(OrderOutcome Outcome, Guid OrderId = default)
{
    /// <summary>Metric tag value.</summary>
    public string Name => Outcome switch
    {
        OrderOutcome.Accepted => "accepted",
        OrderOutcome.Duplicate => "duplicate",
        OrderOutcome.InProgress => "in_progress",
        OrderOutcome.SoldOut => "sold_out",
        OrderOutcome.RateLimited => "rate_limited",
        OrderOutcome.NotOpenYet => "not_open_yet",
        OrderOutcome.AdmissionAlreadyUsed => "admission_used",
        OrderOutcome.LimitReached => "limit_reached",
        _ => "failed",
    };
}
