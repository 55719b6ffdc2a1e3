using System.Globalization;
using System.Text;
using FluxGate.WaitingRoom.Ordering;

namespace FluxGate.WaitingRoom.Apis;

/// <summary>The API's answer to the order, handed to the page as it came: same status, same body, same Retry-After.</summary>
public sealed class ApiPassthroughResult(ApiOrderReply reply) : IResult, IStatusCodeHttpResult
{
    public int? StatusCode => reply.StatusCode;

    public Task ExecuteAsync(HttpContext httpContext)
    {
        var response = httpContext.Response;
        response.StatusCode = reply.StatusCode;
        if (reply.RetryAfter is { } retryAfter)
        {
            response.Headers.RetryAfter = ((long)Math.Ceiling(retryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        }
        if (reply.Body.Length == 0)
        {
            return Task.CompletedTask;
        }
        response.ContentType = "application/json; charset=utf-8";
        return response.WriteAsync(reply.Body, Encoding.UTF8);
    }
}
