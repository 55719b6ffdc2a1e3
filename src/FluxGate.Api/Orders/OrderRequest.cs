using System.Text.Json.Serialization;
using FluxGate.Api.Http;
using FluxGate.Clients;
using FluxGate.Contracts;

namespace FluxGate.Api.Orders;

/// <summary>
/// The body of <c>POST /order</c>: <c>{"productId","userId"}</c>. A signed-in shopper may leave <c>userId</c> out: it is
/// then the token's subject (the handler's to decide, since only it knows who signed in).
/// </summary>
public sealed record OrderRequest(
    [property: JsonConverter(typeof(JsonTextConverter))] string? ProductId,
    [property: JsonConverter(typeof(JsonTextConverter))] string? UserId) : IRequestBody
{
    public string? Problem() => InputRules.CheckProductId(ProductId) ?? (UserId is null ? null : InputRules.CheckUserId(UserId));
}
