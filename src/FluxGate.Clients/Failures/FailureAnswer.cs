using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Metadata;

namespace FluxGate.Clients;

/// <summary>
/// What an endpoint answers when Redis, Kafka or PostgreSQL fails it (endpoint metadata, read by <see cref="ErrorMapping"/>):
/// a write answers the spec's <c>500 {"status":"error","msg"}</c> (the client retries with the same request); a read
/// answers <c>503</c> with <c>Retry-After</c>, since nothing is wrong with the request and it will work again shortly.
/// </summary>
/// <param name="RetryAfter">With a 503: when to try again (header <c>Retry-After</c> and <c>retryAfterMs</c>).</param>
public sealed record FailureAnswer(int StatusCode, string Message, TimeSpan? RetryAfter = null)
{
    /// <summary>The <c>Retry-After</c> of a read's 503 by default: about how long a Redis stall or a PostgreSQL restart lasts.</summary>
    public static readonly TimeSpan DefaultRetryAfter = TimeSpan.FromSeconds(2);

    /// <summary>For endpoints that name none: reads are unavailable for a moment, writes failed.</summary>
    public static FailureAnswer Default(string method) =>
        HttpMethods.IsGet(method) || HttpMethods.IsHead(method)
            ? new(StatusCodes.Status503ServiceUnavailable, "Service briefly unavailable; retry shortly", DefaultRetryAfter)
            : new(StatusCodes.Status500InternalServerError, "Request failed");
}

public static class FailureAnswerExtensions
{
    /// <summary>A write that fails answers <c>500 {"status":"error","msg":<paramref name="message"/>}</c>.</summary>
    public static TBuilder FailsWith<TBuilder>(this TBuilder endpoint, string message) where TBuilder : IEndpointConventionBuilder =>
        endpoint.AnswersFailureWith(new FailureAnswer(StatusCodes.Status500InternalServerError, message));

    /// <summary>
    /// A read whose dependency fails answers <c>503</c>, <c>Retry-After</c> and
    /// <c>{"status":"error","msg":<paramref name="message"/>,"retryAfterMs"}</c>.
    /// </summary>
    public static TBuilder UnavailableWith<TBuilder>(this TBuilder endpoint, string message, TimeSpan? retryAfter = null)
        where TBuilder : IEndpointConventionBuilder =>
        endpoint.AnswersFailureWith(new FailureAnswer(StatusCodes.Status503ServiceUnavailable, message, retryAfter ?? FailureAnswer.DefaultRetryAfter));

    private static TBuilder AnswersFailureWith<TBuilder>(this TBuilder endpoint, FailureAnswer answer) where TBuilder : IEndpointConventionBuilder =>
        endpoint.WithMetadata(answer, new ProducesResponseTypeMetadata(answer.StatusCode, typeof(StatusResponse), ["application/json"]));
}
