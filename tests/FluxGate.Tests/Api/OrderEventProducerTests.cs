using System.Diagnostics.Metrics;
using Confluent.Kafka;
using FluxGate.Api.Kafka;
using FluxGate.Api.Options;
using FluxGate.Api.Telemetry;
using FluxGate.Clients;
using FluxGate.Contracts;
using FluxGate.AppHost.Local;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace FluxGate.Tests.Api;

/// <summary>The api's producer in both delivery modes, against the real librdkafka mock broker.</summary>
public class OrderEventProducerTests
{
    private static readonly KafkaConnection NoExtraProperties = new("127.0.0.1:9092", new Dictionary<string, string>());

    [Fact]
    public void By_default_the_producer_is_idempotent_and_waits_for_all_replicas()
    {
        var config = OrderEventProducer.CreateConfig(NoExtraProperties, new KafkaProducerOptions());

        Assert.True(config.EnableIdempotence);
        Assert.Equal(Acks.All, config.Acks);
        Assert.Null(config.MaxInFlight);
        Assert.Equal(5000, config.MessageTimeoutMs);
        Assert.Equal(1, config.LingerMs);
    }

    [Fact]
    public void Without_idempotence_one_request_is_in_flight_so_retries_keep_the_order()
    {
        var config = OrderEventProducer.CreateConfig(NoExtraProperties, new KafkaProducerOptions { Idempotence = false });

        Assert.False(config.EnableIdempotence);
        Assert.Equal(Acks.All, config.Acks);
        Assert.Equal(1, config.MaxInFlight);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Concurrent_orders_all_land_once_and_in_order_per_product_through_retries(bool idempotence)
    {
        await using var kafka = KafkaMockCluster.Start();
        using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var connection = new KafkaConnection(kafka.BootstrapServers, new Dictionary<string, string>());
        using var producer = new OrderEventProducer(
            connection,
            Microsoft.Extensions.Options.Options.Create(new KafkaProducerOptions { Idempotence = idempotence }),
            new OrderMetrics(services.GetRequiredService<IMeterFactory>()),
            NullLogger<OrderEventProducer>.Instance);
        var start = DateTimeOffset.UtcNow;
        var orders = Enumerable.Range(0, 400)
            .Select(i => new OrderAccepted(Guid.CreateVersion7(), $"p{i % 4}", $"u{i}", $"k{i}", start.AddTicks(i)))
            .ToList();

        // Retriable refusals first: the batches behind them wait, so a retry cannot overtake them.
        kafka.PushRequestErrors(KafkaApiKey.Produce, ErrorCode.NotEnoughReplicas, ErrorCode.NotEnoughReplicas);

        // Handed over in order, answered concurrently: the way many requests share one producer.
        var deliveries = orders.Select(order => producer.ProduceAsync(order)).ToList();
        var outcomes = await Task.WhenAll(deliveries);

        Assert.All(outcomes, outcome => Assert.Equal(DeliveryOutcome.Persisted, outcome));
        var landed = ReadAll(kafka.BootstrapServers, orders.Count);
        Assert.Equal(orders.Select(order => order.OrderId).Order(), landed.Select(order => order.OrderId).Order());
        foreach (var product in landed.GroupBy(order => order.ProductId))
        {
            Assert.Equal(product.OrderBy(order => order.AcceptedAt).Select(order => order.OrderId), product.Select(order => order.OrderId));
        }
    }

    private static List<OrderAccepted> ReadAll(string bootstrapServers, int expected)
    {
        using var consumer = new ConsumerBuilder<string, byte[]>(new ConsumerConfig
        {
            BootstrapServers = bootstrapServers,
            GroupId = $"producer-test-{Guid.NewGuid():N}",
            AutoOffsetReset = AutoOffsetReset.Earliest,
            EnableAutoCommit = false,
        }).Build();
        consumer.Subscribe(Topics.Orders);
        var landed = new List<OrderAccepted>();
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (landed.Count < expected && DateTime.UtcNow < deadline)
        {
            if (consumer.Consume(TimeSpan.FromMilliseconds(200)) is { } result)
            {
                landed.Add(Decode(result));
            }
        }
        // A duplicate would arrive as one message more.
        while (consumer.Consume(TimeSpan.FromSeconds(1)) is { } extra)
        {
            landed.Add(Decode(extra));
        }
        consumer.Close();
        return landed;

        static OrderAccepted Decode(ConsumeResult<string, byte[]> result) =>
            (OrderAccepted)OrderEventSerializer.Deserialize(result.Message.Value);
    }
}
