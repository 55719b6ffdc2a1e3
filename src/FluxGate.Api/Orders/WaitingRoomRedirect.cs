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

    public string For(string productId, string userId, string idempotencyKey) =>
        new StringBuilder(_baseUrl.Length + 160)
            .Append(_baseUrl)
            .Append("?productId=").Append(Uri.EscapeDataString(productId))
            .Append("&userId=").Append(Uri.EscapeDataString(userId))
            .Append("&idempotencyKey=").Append(Uri.EscapeDataString(idempotencyKey))
            .ToString();
}
