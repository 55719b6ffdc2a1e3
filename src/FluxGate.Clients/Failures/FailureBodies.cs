using System.Text.Json;
using System.Text.Json.Serialization;

namespace FluxGate.Clients;

/// <summary>
/// <c>{"status","msg"}</c> as in the spec: the api's answers and every service's failures, plus the order's id where
/// one exists and, on a failure worth retrying, when to try again.
/// </summary>
public sealed record StatusResponse(
    string Status,
    string Msg,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] Guid? OrderId = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] long? RetryAfterMs = null)
{
    public static StatusResponse Error(string msg, TimeSpan? retryAfter = null) =>
        new("error", msg, RetryAfterMs: retryAfter is { } delay ? (long)delay.TotalMilliseconds : null);
}

/// <summary>The spec's body of a refused request: <c>{"error": "…"}</c>.</summary>
public sealed record ErrorResponse(string Error);

/// <summary>Which body a service refuses bad requests with (its contract says).</summary>
public enum RefusalBody
{
    /// <summary><c>{"error": "…"}</c>, the spec's (the api).</summary>
    Error,

    /// <summary><c>{"status":"error","msg": "…"}</c> (the waiting room's JSON API).</summary>
    Status,
}

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(StatusResponse))]
[JsonSerializable(typeof(ErrorResponse))]
internal sealed partial class FailureJsonContext : JsonSerializerContext;
