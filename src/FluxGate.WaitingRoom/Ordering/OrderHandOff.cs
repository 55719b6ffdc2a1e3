using FluxGate.WaitingRoom.Admission;
using FluxGate.WaitingRoom.Queue;
using FluxGate.WaitingRoom.Telemetry;

namespace FluxGate.WaitingRoom.Ordering;

/// <summary>
/// The door out of the line: only a served ticket gets an admission token, and the room either uses it at once to
/// place the shopper's order, or hands it over for a return URL.
/// </summary>
public sealed class OrderHandOff(
    WaitingQueue queue,
    AdmissionIssuer issuer,
    OrderApiClient api,
    WaitingRoomMetrics metrics)
{
    /// <summary>Places the order of a served ticket; <see cref="HandOff.Reply"/> is null when the ticket is not served.</summary>
    /// <param name="shopperToken">A signed-in shopper's token: the API gets it with the order, on the shopper's behalf.</param>
    public async Task<HandOff> PlaceOrderAsync(string productId, long ticket, ShopperIdentity shopper, string? shopperToken,
        CancellationToken cancellationToken)
    {
        var status = await queue.GetStatusAsync(productId, ticket);
        if (status.State != QueueState.Served)
        {
            return new HandOff(status, null);
        }

        var admission = issuer.Issue(productId, ticket);
        metrics.Admitted("order");
        var reply = await api.PlaceOrderAsync(productId, shopper.UserId, shopper.IdempotencyKey, admission.Token, shopperToken,
            cancellationToken);
        metrics.OrderPlaced(reply.Outcome.ToString());
        return new HandOff(status, reply);
    }

    /// <summary>A token for a served ticket, to be carried back to the shop; null when the ticket is not served.</summary>
    public async Task<(TicketStatus Status, IssuedAdmission? Admission)> AdmitAsync(string productId, long ticket)
    {
        var status = await queue.GetStatusAsync(productId, ticket);
        if (status.State != QueueState.Served)
        {
            return (status, null);
        }
        metrics.Admitted("return_url");
        return (status, issuer.Issue(productId, ticket));
    }
}

public sealed record HandOff(TicketStatus Status, ApiOrderReply? Reply);
