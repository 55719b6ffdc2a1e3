using System.Globalization;
using FluxGate.Clients;
using FluxGate.WaitingRoom.Queue;
using Microsoft.AspNetCore.Diagnostics;

namespace FluxGate.WaitingRoom.Apis;

/// <summary>
/// The one place where failures become responses: unreadable requests are the caller's 4xx, a Redis outage (a timeout,
/// a lost connection, a server that is still loading) is a 503 with <c>Retry-After</c> that says when to come back,
/// anything else a 500 in the same JSON shape.
/// </summary>
internal sealed class ErrorMapping(ILogger<ErrorMapping> logger) : IExceptionHandler
{
    public static readonly TimeSpan OutageRetryAfter = TimeSpan.FromSeconds(5);

    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if (exception is OperationCanceledException && httpContext.RequestAborted.IsCancellationRequested)
        {
            // The shopper left (closed the tab): nobody is there to answer.
            return true;
        }
        var (status, error) = exception switch
        {
            BadHttpRequestException bad => (bad.StatusCode, ErrorResponse.Error(Describe(bad))),
            _ when exception is QueueUnavailableException || exception.IsDependencyFault() => (StatusCodes.Status503ServiceUnavailable,
                ErrorResponse.Error("The waiting room is briefly unavailable; your place is kept", OutageRetryAfter)),
            _ => (StatusCodes.Status500InternalServerError, ErrorResponse.Error("Unexpected error")),
        };

        if (status >= 500)
        {
            logger.LogError(exception, "Request {Method} {Path} failed with {Status}", httpContext.Request.Method,
                httpContext.Request.Path, status);
        }

        httpContext.Response.StatusCode = status;
        httpContext.Response.Headers.CacheControl = "no-store";
        if (status == StatusCodes.Status503ServiceUnavailable)
        {
            httpContext.Response.Headers.RetryAfter = ((int)OutageRetryAfter.TotalSeconds).ToString(CultureInfo.InvariantCulture);
        }
        await httpContext.Response.WriteAsJsonAsync(error, WaitingRoomJsonContext.Default.ErrorResponse, cancellationToken: cancellationToken);
        return true;
    }

    private static string Describe(BadHttpRequestException exception) => exception.StatusCode switch
    {
        StatusCodes.Status415UnsupportedMediaType => "Content-Type must be application/json",
        StatusCodes.Status413PayloadTooLarge => "Request body too large",
        _ when exception.InnerException is System.Text.Json.JsonException => "Malformed JSON body",
        _ => exception.Message,
    };
}
