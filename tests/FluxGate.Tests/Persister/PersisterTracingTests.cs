using System.Diagnostics;
using System.Diagnostics.Metrics;
using FluxGate.Api.Kafka;
using FluxGate.Api.Options;
using FluxGate.Api.Telemetry;
using FluxGate.AppHost.Local;
using FluxGate.Clients;
using FluxGate.Contracts;
using FluxGate.Persister.Diagnostics;
using FluxGate.Tests.Infrastructure;
using FluxGate.Tests.Tracing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit.Abstractions;

namespace FluxGate.Tests.Persister;

/// <summary>
/// One order's trace from the API's produce through the librdkafka mock broker into the in-process persister and
/// PostgreSQL: the trace context travels in the message headers.
/// </summary>
[Collection(PersisterDatabaseCollection.Name)]
public sealed class PersisterTracingTests(PersisterDatabaseFixture database, ITestOutputHelper output)
{
    [Fact]
    public async Task An_orders_trace_continues_into_the_persister_which_links_it_to_the_batch_that_wrote_it()
    {
        using var apiSource = new ActivitySource(ProduceTracing.SourceName);
        using var spans = new SpanRecorder(source => source == apiSource || source.Name == BatchTracing.SourceName);
        await using var kafka = KafkaMockCluster.Start();
        var dataSource = await database.CreateEmptyDatabaseAsync();
        using var metrics = new ServiceCollection().AddMetrics().BuildServiceProvider();
        using var api = new OrderEventProducer(
            new KafkaConnection(kafka.BootstrapServers, new Dictionary<string, string>()),
            Microsoft.Extensions.Options.Options.Create(new KafkaProducerOptions()),
            new OrderMetrics(metrics.GetRequiredService<IMeterFactory>()),
            NullLogger<OrderEventProducer>.Instance,
            apiSource);
        using var untraced = new OrderProducer(kafka.BootstrapServers); // no headers, like events from before tracing
        await using var persister = await InProcessPersister.StartAsync(kafka.BootstrapServers, dataSource.ConnectionString, output, "persister");

        await untraced.ProduceAsync(OrderProducer.Init("p1", 10));
        var requests = new List<ActivityContext>();
        for (var i = 0; i < 3; i++)
        {
            using var request = new Activity("POST /order").Start(); // stands in for ASP.NET Core's request span
            Assert.Equal(DeliveryOutcome.Persisted, await api.ProduceAsync(OrderProducer.Order("p1")));
            requests.Add(request.Context);
        }

        await Eventually.UntilAsync(() => dataSource.OrderCountAsync("p1"), count => count == 3, "the three orders persist");
        var processed = await Eventually.UntilAsync(
            () => Task.FromResult(spans.Stopped.Where(span => span.DisplayName == "process orders").ToList()),
            found => found.Count == 3, "a process span per traced order");

        var batches = spans.Stopped.Where(span => span.DisplayName == "persist orders").ToDictionary(span => span.SpanId);
        foreach (var request in requests)
        {
            var send = Assert.Single(spans.Stopped, span => span.Source == apiSource && span.TraceId == request.TraceId);
            Assert.Equal(request.SpanId, send.ParentSpanId);

            var process = Assert.Single(processed, span => span.TraceId == request.TraceId);
            Assert.Equal(send.SpanId, process.ParentSpanId);
            Assert.Equal(ActivityKind.Consumer, process.Kind);
            Assert.Equal(send.GetTagItem("messaging.destination.partition.id"), process.GetTagItem("messaging.destination.partition.id"));
            Assert.Equal(send.GetTagItem("messaging.kafka.offset"), process.GetTagItem("messaging.kafka.offset"));
            Assert.Equal("fluxgate-persister", process.GetTagItem("messaging.consumer.group.name"));

            // The database work is in the batch's own trace; each side points at the other.
            var batch = batches[Assert.Single(process.Links).Context.SpanId];
            Assert.Contains(batch.Links, link => link.Context.SpanId == send.SpanId && link.Context.TraceId == send.TraceId);
            Assert.Equal(ActivityStatusCode.Unset, batch.Status);
        }
        var wrote = batches.Values.Where(batch => batch.Links.Any(link => requests.Any(request => request.TraceId == link.Context.TraceId)));
        Assert.Equal(3, wrote.Sum(batch => (int)batch.GetTagItem("fluxgate.persister.orders.inserted")!));
    }
}
