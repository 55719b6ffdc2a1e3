using System.Text.Json.Serialization;
using FluxGate.Api.Http;
using FluxGate.Clients;
using FluxGate.Contracts;

namespace FluxGate.Api.Orders;

/// <summary>
/// The body of <c>POST /cancel/{orderId}</c>: <c>{"userId"}</c>, the user who placed the order. Signed in, the body and
/// its <c>userId</c> are optional (the token says who it is).
/// </summary>
public sealed record CancelRequest([property: JsonConverter(typeof(JsonTextConverter))] string? UserId) : IRequestBody
{
    public string? Problem() => UserId is null ? null : InputRules.CheckUserId(UserId);
}
