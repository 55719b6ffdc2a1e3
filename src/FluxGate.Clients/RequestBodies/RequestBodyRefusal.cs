using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace FluxGate.Clients;

/// <summary>
/// What is wrong with a JSON request body that binding could not read, in the words every service answers with: the
/// one place that turns System.Text.Json's and Kestrel's refusals into rules a client can act on.
/// </summary>
public static class RequestBodyRefusal
{
    public const string NotJson = "Content-Type must be application/json";
    public const string NotAnObject = "Request body must be a JSON object";
    public const string MalformedJson = "Request body is not valid JSON";

    public static string Describe(JsonException exception) => exception switch
    {
        InvalidRequestBodyException invalid => invalid.Describe(),
        // System.Text.Json's reader found the syntax broken (its exception inside the serializer's).
        { InnerException: JsonException } => MalformedJson,
        // Every field of our bodies has its own converter (JsonTextConverter, or the api's integer rules): a field only
        // gets here through one without.
        { Path: ['$', '.', .. var field] } => $"{field} has the wrong type",
        _ => NotAnObject, // the value at the root could not become the body's object
    };

    /// <summary>A body the endpoint needs is missing: nothing was sent, or the JSON <c>null</c>.</summary>
    public static string Missing(HttpRequest request) => request.ContentLength == 0 ? Utf8RequestBody.Empty : NotAnObject;

    /// <summary>Kestrel's 413: over the body limit.</summary>
    public static string TooLarge(HttpContext context) =>
        context.Features.Get<IHttpMaxRequestBodySizeFeature>()?.MaxRequestBodySize is { } limit
            ? $"Request body must not exceed {limit} bytes"
            : "Request body too large";
}
