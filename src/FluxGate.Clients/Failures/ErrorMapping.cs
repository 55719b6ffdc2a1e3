using System.Globalization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
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

    private static string Describe(BadHttpRequestException exception, HttpContext httpContext) => exception switch
    {
        { StatusCode: StatusCodes.Status413PayloadTooLarge } => RequestBodyRefusal.TooLarge(httpContext),
        { StatusCode: StatusCodes.Status415UnsupportedMediaType } => RequestBodyRefusal.NotJson,
        { StatusCode: StatusCodes.Status408RequestTimeout } => "The request body did not arrive in time",
        { InnerException: System.Text.Json.JsonException json } => RequestBodyRefusal.Describe(json),
        _ => "Bad request",
    };

    /// <summary>
    /// What Kestrel and routing refuse without a body (<see cref="ErrorMappingExtensions.UseErrorMapping"/>): 413 and 415
    /// in the service's refusal body, saying what to change; anything else (routing's 404 and 405) as ProblemDetails.
    /// </summary>
    internal static async Task AnswerBodilessAsync(StatusCodeContext context)
    {
        var httpContext = context.HttpContext;
        var response = httpContext.Response;
        var refusal = response.StatusCode switch
        {
            StatusCodes.Status413PayloadTooLarge => RequestBodyRefusal.TooLarge(httpContext),
            StatusCodes.Status415UnsupportedMediaType => RequestBodyRefusal.NotJson,
            _ => null,
        };
        var options = httpContext.RequestServices.GetRequiredService<IOptions<ErrorMappingOptions>>().Value;
        if (refusal is not null && options.RefusalBody == RefusalBody.Error)
        {
            await response.WriteAsJsonAsync(new ErrorResponse(refusal), FailureJsonContext.Default.ErrorResponse);
            return;
        }
        await httpContext.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new ProblemDetailsContext
        {
            HttpContext = httpContext,
            ProblemDetails = { Status = response.StatusCode, Detail = refusal },
        });
    }

    [LoggerMessage(LogLevel.Error, "{Method} {Path} answered {Status}: a dependency failed ({Dependency})")]
    private static partial void LogDependencyFailed(ILogger logger, string method, string path, int status, string dependency, Exception exception);

    [LoggerMessage(LogLevel.Error, "{Method} {Path} failed unexpectedly; answered 500")]
    private static partial void LogUnexpected(ILogger logger, string method, string path, Exception exception);
}

public sealed class ErrorMappingOptions
{
    public RefusalBody RefusalBody { get; set; } = RefusalBody.Error;
}
