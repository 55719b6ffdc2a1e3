using System.Globalization;
using FluxGate.Clients;
using Microsoft.AspNetCore.Diagnostics;

namespace FluxGate.Api.Http;

/// <summary>
/// The api's one place where an exception becomes an answer, in every environment (no stack trace, never an empty
/// body). A failure of Redis, Kafka or PostgreSQL (timeouts included) gets the endpoint's <see cref="FailureAnswer"/>:
/// the spec's <c>500 {"status":"error","msg"}</c> on writes, <c>503</c> with <c>Retry-After</c> on reads. Anything
/// else is a 500 in the same shape. The hot path answers its own outcomes; only failures come here.
/// </summary>
internal sealed partial class ErrorMapping(ILogger<ErrorMapping> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        var request = httpContext.Request;
        var response = httpContext.Response;
        if (exception is OperationCanceledException && httpContext.RequestAborted.IsCancellationRequested)
        {
            return true; // the client left: nobody is there to answer
        }
        response.Headers.CacheControl = "no-store";

        if (exception is BadHttpRequestException bad)
        {
            response.StatusCode = bad.StatusCode;
            await response.WriteAsJsonAsync(new ErrorResponse(Describe(bad)), ApiJsonContext.Default.ErrorResponse, cancellationToken: cancellationToken);
            return true;
        }

        // The middleware has cleared the request's endpoint by now; its feature keeps the one that failed.
        var endpoint = httpContext.Features.Get<IExceptionHandlerFeature>()?.Endpoint ?? httpContext.GetEndpoint();
        var answer = endpoint?.Metadata.GetMetadata<FailureAnswer>() ?? FailureAnswer.Default(request.Method);
        var dependency = DependencyFaults.Of(exception);
        if (dependency is null)
        {
            response.StatusCode = StatusCodes.Status500InternalServerError;
            LogUnexpected(logger, request.Method, request.Path, exception);
        }
        else
        {
            response.StatusCode = answer.StatusCode;
            if (answer.StatusCode == StatusCodes.Status503ServiceUnavailable)
            {
                response.Headers.RetryAfter = ((int)FailureAnswer.RetryAfter.TotalSeconds).ToString(CultureInfo.InvariantCulture);
            }
            LogDependencyFailed(logger, request.Method, request.Path, answer.StatusCode, dependency, exception);
        }
        await response.WriteAsJsonAsync(new StatusResponse("error", answer.Message), ApiJsonContext.Default.StatusResponse, cancellationToken: cancellationToken);
        return true;
    }

    private static string Describe(BadHttpRequestException exception) => exception.StatusCode switch
    {
        StatusCodes.Status413PayloadTooLarge => ApiError.TooLarge.Message,
        StatusCodes.Status408RequestTimeout => "The request body did not arrive in time",
        _ => "Bad request",
    };

    [LoggerMessage(LogLevel.Error, "{Method} {Path} answered {Status}: a dependency failed ({Dependency})")]
    private static partial void LogDependencyFailed(ILogger logger, string method, string path, int status, string dependency, Exception exception);

    [LoggerMessage(LogLevel.Error, "{Method} {Path} failed unexpectedly; answered 500")]
    private static partial void LogUnexpected(ILogger logger, string method, string path, Exception exception);
}
