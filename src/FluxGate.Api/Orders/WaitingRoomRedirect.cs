using System.Text;
using FluxGate.Api.Options;
using Microsoft.Extensions.Options;

namespace FluxGate.Api.Orders;

/// <summary>
/// The <c>Location</c> of a rate-limited order: the waiting room's base URL (spec) with what the room needs to
/// queue the shopper and retry the order for them.
/// </summary>
public sealed class WaitingRoomRedirect(IOptions<WaitingRoomOptions> options)
{
    private readonly string _baseUrl = options.Value.Url!.GetLeftPart(UriPartial.Path).TrimEnd('/') + "/";

    public string For(OrderRequest order, string idempotencyKey) =>
        new StringBuilder(_baseUrl.Length + 160)
            .Append(_baseUrl)
            .Append("?productId=").Append(Uri.EscapeDataString(order.ProductId))
            .Append("&userId=").Append(Uri.EscapeDataString(order.UserId))
            .Append("&idempotencyKey=").Append(Uri.EscapeDataString(idempotencyKey))
            .ToString();
}
