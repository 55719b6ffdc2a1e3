using System.Diagnostics;
using System.Text;
using Confluent.Kafka;

namespace FluxGate.Contracts;

/// <summary>
/// Carries a span's W3C trace context (<c>traceparent</c>, <c>tracestate</c>) in Kafka message headers, so that the
/// persister's work on an event continues the trace of the request that produced it. Confluent.Kafka propagates
/// nothing by itself. The header names and format are the process's <see cref="DistributedContextPropagator"/>'s,
/// the same one ASP.NET Core and HttpClient use.
/// </summary>
public static class KafkaTraceContext
{
    /// <summary>Adds <paramref name="activity"/>'s context to <paramref name="headers"/>.</summary>
    public static void Inject(Activity activity, Headers headers) =>
        DistributedContextPropagator.Current.Inject(activity, headers,
            static (carrier, name, value) => ((Headers)carrier!).Add(name, Encoding.UTF8.GetBytes(value)));

    /// <summary>
    /// The context a producer put in <paramref name="headers"/>. False when there is none or it is malformed: events
    /// produced before tracing existed, by tools, or while no tracer listened carry none.
    /// </summary>
    public static bool TryExtract(Headers? headers, out ActivityContext context)
    {
        context = default;
        if (headers is null || headers.Count == 0)
        {
            return false;
        }
        DistributedContextPropagator.Current.ExtractTraceIdAndState(headers, ReadHeader, out var traceParent, out var traceState);
        return traceParent is not null && ActivityContext.TryParse(traceParent, traceState, isRemote: true, out context);
    }

    private static void ReadHeader(object? carrier, string name, out string? value, out IEnumerable<string>? values)
    {
        values = null;
        // The last one wins, as for a message whose headers were appended to on its way (e.g. a re-publish).
        value = ((Headers)carrier!).TryGetLastBytes(name, out var bytes) && bytes is not null ? Encoding.UTF8.GetString(bytes) : null;
    }
}
