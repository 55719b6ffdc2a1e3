using System.Diagnostics;
using System.Globalization;
using Confluent.Kafka;
using FluxGate.Contracts;

namespace FluxGate.Api.Kafka;

/// <summary>
/// The <c>send orders</c> span (Producer kind) around one produce, from hand-over to Kafka's delivery report, as a
/// child of the request's span. Its context travels in the message headers, so the persister's processing of the
/// event joins the order's trace.
/// </summary>
/// <remarks>
/// The service defaults subscribe to <see cref="SourceName"/> (it matches <c>FluxGate.*</c>) only when an OTLP exporter
/// is configured. Otherwise <see cref="Start"/> returns null without allocating, and the message gets no headers: the
/// produce path is benchmarked.
/// </remarks>
internal static class ProduceTracing
{
    public const string SourceName = "FluxGate.Api.Kafka";
    public const string SpanName = MessagingAttributes.Send + " " + Topics.Orders;

    public static readonly ActivitySource Source = new(SourceName);

    public static Activity? Start(ActivitySource source, Message<string, byte[]> message)
    {
        var activity = source.StartActivity(SpanName, ActivityKind.Producer);
        if (activity is null)
        {
            return null;
        }
        // Sampled out (propagation only) still travels: the persister's spans then follow the same decision.
        message.Headers ??= [];
        KafkaTraceContext.Inject(activity, message.Headers);
        if (activity.IsAllDataRequested)
        {
            activity.SetTag(MessagingAttributes.System, MessagingAttributes.Kafka);
            activity.SetTag(MessagingAttributes.OperationType, MessagingAttributes.Send);
            activity.SetTag(MessagingAttributes.OperationName, MessagingAttributes.Send);
            activity.SetTag(MessagingAttributes.DestinationName, Topics.Orders);
            activity.SetTag(MessagingAttributes.KafkaMessageKey, message.Key);
        }
        return activity;
    }

    public static void Delivered(Activity activity, TopicPartitionOffset delivered)
    {
        if (activity.IsAllDataRequested)
        {
            activity.SetTag(MessagingAttributes.PartitionId, delivered.Partition.Value.ToString(CultureInfo.InvariantCulture));
            activity.SetTag(MessagingAttributes.KafkaOffset, delivered.Offset.Value);
        }
    }

    public static void Failed(Activity activity, Error error, DeliveryOutcome outcome)
    {
        activity.SetStatus(ActivityStatusCode.Error, error.Reason);
        if (activity.IsAllDataRequested)
        {
            activity.SetTag(MessagingAttributes.ErrorType, error.Code.ToString());
            // Whether the API undid the reservation hangs on this; the trace should say which case it was.
            activity.SetTag("fluxgate.delivery.outcome", outcome.ToString());
        }
    }
}
