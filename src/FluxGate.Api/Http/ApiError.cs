using FluxGate.Clients;

namespace FluxGate.Api.Http;

/// <summary>A request refused before it reaches Redis: the status code and the message the client sees.</summary>
public sealed record ApiError(int StatusCode, string Message)
{
    public static readonly ApiError MissingIdempotencyKey = new(StatusCodes.Status400BadRequest, "Missing Idempotency Key");
    public static readonly ApiError NotJson = new(StatusCodes.Status415UnsupportedMediaType, RequestBodyRefusal.NotJson);
    public static readonly ApiError SeveralIdempotencyKeys = new(StatusCodes.Status400BadRequest, "Send exactly one x-idempotency-key header");

    public static ApiError BadRequest(string message) => new(StatusCodes.Status400BadRequest, message);
}
