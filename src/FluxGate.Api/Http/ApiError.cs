namespace FluxGate.Api.Http;

/// <summary>A request refused before it reaches Redis: the status code and the message the client sees.</summary>
public sealed record ApiError(int StatusCode, string Message)
{
    public static readonly ApiError MissingIdempotencyKey = new(StatusCodes.Status400BadRequest, "Missing Idempotency Key");
    public static readonly ApiError NotJson = new(StatusCodes.Status415UnsupportedMediaType, "Content-Type must be application/json");
    public static readonly ApiError TooLarge = new(StatusCodes.Status413PayloadTooLarge, $"Request body must not exceed {JsonRequestBody.MaxBytes} bytes");
    public static readonly ApiError EmptyBody = new(StatusCodes.Status400BadRequest, "Request body is empty; send a JSON object");
    public static readonly ApiError MalformedJson = new(StatusCodes.Status400BadRequest, "Request body is not valid JSON");
    public static readonly ApiError NotUtf8 = new(StatusCodes.Status400BadRequest, "Request body is not valid UTF-8");
    public static readonly ApiError SeveralIdempotencyKeys = new(StatusCodes.Status400BadRequest, "Send exactly one x-idempotency-key header");
    public static readonly ApiError NotAnObject = new(StatusCodes.Status400BadRequest, "Request body must be a JSON object");

    public static ApiError BadRequest(string message) => new(StatusCodes.Status400BadRequest, message);
}
