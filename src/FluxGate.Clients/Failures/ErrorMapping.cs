using System.Globalization;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FluxGate.Clients;

/// <summary>
/// Every service's one place where an exception becomes an answer, in every environment (no stack trace, never an
/// empty body). An unreadable request is the caller's 4xx in the service's <see cref="RefusalBody"/>. A failure of
/// Redis, Kafka or PostgreSQL (timeouts included) gets the endpoint's <see cref="FailureAnswer"/>: the spec's
/// <c>500 {"status":"error","msg"}</c> on writes, <c>503</c> with <c>Retry-After</c> on reads. Anything else is a 500 in
/// the same shape. Hot paths answer their own outcomes; only failures come here.
/// </summary>
public sealed partial class ErrorMapping(IOptions<ErrorMappingOptions> options, ILogger<ErrorMapping> logger) : IExceptionHandler
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
            var refusal = Describe(bad, httpContext);
            await (options.Value.RefusalBody == RefusalBody.Error
                ? response.WriteAsJsonAsync(new ErrorResponse(refusal), FailureJsonContext.Default.ErrorResponse, cancellationToken: cancellationToken)
                : response.WriteAsJsonAsync(StatusResponse.Error(refusal), FailureJsonContext.Default.StatusResponse, cancellationToken: cancellationToken));
            return true;
        }

        // The middleware has cleared the request's endpoint by now; its feature keeps the one that failed.
        var endpoint = httpContext.Features.Get<IExceptionHandlerFeature>()?.Endpoint ?? httpContext.GetEndpoint();
        var answer = endpoint?.Metadata.GetMetadata<FailureAnswer>() ?? FailureAnswer.Default(request.Method);
        var dependency = DependencyFaults.Of(exception);
        TimeSpan? retryAfter = null;
        var message = answer.Message;
        if (dependency is null)
        {
            // A write's failure message says what failed ("Order processing failed"); a read's says "come back soon",
            // which a bug does not earn.
            response.StatusCode = StatusCodes.Status500InternalServerError;
            message = answer.StatusCode == StatusCodes.Status500InternalServerError ? answer.Message : "Unexpected error";
            LogUnexpected(logger, request.Method, request.Path, exception);
        }
        else
        {
            response.StatusCode = answer.StatusCode;
            if (answer.StatusCode == StatusCodes.Status503ServiceUnavailable)
            {
                retryAfter = answer.RetryAfter ?? FailureAnswer.DefaultRetryAfter;
                response.Headers.RetryAfter = ((int)Math.Ceiling(retryAfter.Value.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
            }
            LogDependencyFailed(logger, request.Method, request.Path, answer.StatusCode, dependency, exception);
        }
        await response.WriteAsJsonAsync(StatusResponse.Error(message, retryAfter), FailureJsonContext.Default.StatusResponse,
            cancellationToken: cancellationToken);
        return true;
    }

    private static string Describe(BadHttpRequestException exception, HttpContext httpContext) => exception.StatusCode switch
    {
        StatusCodes.Status413PayloadTooLarge when httpContext.Features.Get<IHttpMaxRequestBodySizeFeature>()?.MaxRequestBodySize is { } limit =>
            $"Request body must not exceed {limit} bytes",
        StatusCodes.Status413PayloadTooLarge => "Request body too large",
        StatusCodes.Status415UnsupportedMediaType => "Content-Type must be application/json",
        StatusCodes.Status408RequestTimeout => "The request body did not arrive in time",
        _ when exception.InnerException is System.Text.Json.JsonException => "Malformed JSON body",
        _ => "Bad request",
    };

    [LoggerMessage(LogLevel.Error, "{Method} {Path} answered {Status}: a dependency failed ({Dependency})")]
    private static partial void LogDependencyFailed(ILogger logger, string method, string path, int status, string dependency, Exception exception);

    [LoggerMessage(LogLevel.Error, "{Method} {Path} failed unexpectedly; answered 500")]
    private static partial void LogUnexpected(ILogger logger, string method, string path, Exception exception);
}

public sealed class ErrorMappingOptions
{
    public RefusalBody RefusalBody { get; set; } = RefusalBody.Error;
}
