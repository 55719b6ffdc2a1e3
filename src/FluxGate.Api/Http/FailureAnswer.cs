namespace FluxGate.Api.Http;

/// <summary>
/// What an endpoint answers when Redis, Kafka or PostgreSQL fails it (endpoint metadata, read by <see cref="ErrorMapping"/>):
/// a write answers the spec's <c>500 {"status":"error","msg"}</c> (the client retries with the same request); a read
/// answers <c>503</c> with <c>Retry-After</c>, since nothing is wrong with the request and it will work again shortly.
/// </summary>
public sealed record FailureAnswer(int StatusCode, string Message)
{
    /// <summary>The <c>Retry-After</c> of a read's 503: about how long a Redis stall or a PostgreSQL restart lasts.</summary>
    public static readonly TimeSpan RetryAfter = TimeSpan.FromSeconds(2);

    /// <summary>For endpoints that name none: reads are unavailable for a moment, writes failed.</summary>
    public static FailureAnswer Default(string method) =>
        HttpMethods.IsGet(method) || HttpMethods.IsHead(method)
            ? new(StatusCodes.Status503ServiceUnavailable, "Service briefly unavailable; retry shortly")
            : new(StatusCodes.Status500InternalServerError, "Request failed");
}

public static class FailureAnswerExtensions
{
    /// <summary>A write that fails answers <c>500 {"status":"error","msg":<paramref name="message"/>}</c>.</summary>
    public static TBuilder FailsWith<TBuilder>(this TBuilder endpoint, string message) where TBuilder : IEndpointConventionBuilder =>
        endpoint.AnswersFailureWith(new FailureAnswer(StatusCodes.Status500InternalServerError, message));

    /// <summary>A read whose dependency fails answers <c>503</c>, <c>Retry-After</c> and <c>{"status":"error","msg":<paramref name="message"/>}</c>.</summary>
    public static TBuilder UnavailableWith<TBuilder>(this TBuilder endpoint, string message) where TBuilder : IEndpointConventionBuilder =>
        endpoint.AnswersFailureWith(new FailureAnswer(StatusCodes.Status503ServiceUnavailable, message));

    private static TBuilder AnswersFailureWith<TBuilder>(this TBuilder endpoint, FailureAnswer answer) where TBuilder : IEndpointConventionBuilder =>
        endpoint.WithMetadata(answer, new ProducesResponseTypeMetadata(answer.StatusCode, typeof(StatusResponse), ["application/json"]));
}
