using Confluent.Kafka;
using FluxGate.AppHost.Local;
using FluxGate.Tests.Infrastructure;

namespace FluxGate.Tests.AppHost;

public sealed class KafkaMockClusterTests
{
    [Fact]
    public async Task A_producer_and_a_consumer_group_member_exchange_messages_through_the_mock_brokers()
    {
        await using var kafka = KafkaMockCluster.Start();
        const int count = 20;

        using (var producer = new ProducerBuilder<string, string>(new ProducerConfig
               {
                   BootstrapServers = kafka.BootstrapServers,
                   Acks = Acks.All,
                   EnableIdempotence = true,
               }).Build())
        {
            for (var i = 0; i < count; i++)
            {
                var delivery = await producer.ProduceAsync("orders", new Message<string, string> { Key = $"product-{i % 4}", Value = $"order-{i}" });
                Assert.Equal(PersistenceStatus.Persisted, delivery.Status);
            }
        }

        using var consumer = new ConsumerBuilder<string, string>(new ConsumerConfig
        {
            BootstrapServers = kafka.BootstrapServers,
            GroupId = "devhost-test",
            AutoOffsetReset = AutoOffsetReset.Earliest,
            EnableAutoCommit = false,
        }).Build();
        consumer.Subscribe("orders");
        var received = new List<string>();
        var deadline = DateTime.UtcNow + Eventually.DefaultTimeout;
        while (received.Count < count && DateTime.UtcNow < deadline)
        {
            if (consumer.Consume(TimeSpan.FromMilliseconds(500)) is { } result)
            {
                received.Add(result.Message.Value);
                consumer.Commit(result);
            }
        }
        consumer.Close();

        Assert.Equal(Enumerable.Range(0, count).Select(i => $"order-{i}").Order(), received.Order());
    }

    [Fact]
    public async Task The_orders_topic_has_six_partitions()
    {
        await using var kafka = KafkaMockCluster.Start();
        using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = kafka.BootstrapServers }).Build();

        var metadata = admin.GetMetadata("orders", TimeSpan.FromSeconds(30));

        Assert.Equal(6, Assert.Single(metadata.Topics).Partitions.Count);
    }

    [Fact]
    public async Task A_broker_set_down_fails_produces_and_set_up_again_lets_them_through()
    {
        await using var kafka = KafkaMockCluster.Start();
        using var producer = new ProducerBuilder<string, string>(new ProducerConfig
        {
            BootstrapServers = kafka.BootstrapServers,
            MessageTimeoutMs = 1500,
        }).Build();
        await producer.ProduceAsync("orders", new Message<string, string> { Key = "p", Value = "while up" });

        kafka.SetBrokerDown();
        var failure = await Assert.ThrowsAsync<ProduceException<string, string>>(() =>
            producer.ProduceAsync("orders", new Message<string, string> { Key = "p", Value = "while down" }));
        Assert.Equal(ErrorCode.Local_MsgTimedOut, failure.Error.Code);
        Assert.False(kafka.IsUp);

        kafka.SetBrokerUp();
        var delivery = await Eventually.UntilAsync(
            () => producer.ProduceAsync("orders", new Message<string, string> { Key = "p", Value = "up again" }),
            result => result.Status == PersistenceStatus.Persisted,
            "a produce succeeds after the broker is up again");
        Assert.Equal("up again", delivery.Message.Value);
    }

    [Fact]
    public async Task A_produce_outage_fails_produces_and_its_end_lets_them_through()
    {
        await using var kafka = KafkaMockCluster.Start();
        using var producer = new ProducerBuilder<string, string>(new ProducerConfig
        {
            BootstrapServers = kafka.BootstrapServers,
            MessageTimeoutMs = 1500,
            EnableIdempotence = true,
        }).Build();
        await producer.ProduceAsync("orders", new Message<string, string> { Key = "p", Value = "before" });

        kafka.StartProduceOutage();
        var failure = await Assert.ThrowsAsync<ProduceException<string, string>>(() =>
            producer.ProduceAsync("orders", new Message<string, string> { Key = "p", Value = "during" }));
        Assert.Equal(ErrorCode.Local_MsgTimedOut, failure.Error.Code);

        kafka.EndProduceOutage();
        var delivery = await Eventually.UntilAsync(
            () => producer.ProduceAsync("orders", new Message<string, string> { Key = "p", Value = "after" }),
            result => result.Status == PersistenceStatus.Persisted,
            "a produce succeeds once the outage ends");
        Assert.Equal("after", delivery.Message.Value);
    }

    [Fact]
    public async Task Injected_request_errors_reach_the_client_once_each()
    {
        await using var kafka = KafkaMockCluster.Start();
        using var producer = new ProducerBuilder<string, string>(new ProducerConfig { BootstrapServers = kafka.BootstrapServers }).Build();
        await producer.ProduceAsync("orders", new Message<string, string> { Key = "p", Value = "warm-up" });

        // A non-retriable error: the client reports it instead of retrying it away.
        kafka.PushRequestErrors(KafkaApiKey.Produce, ErrorCode.MsgSizeTooLarge);
        var failure = await Assert.ThrowsAsync<ProduceException<string, string>>(() =>
            producer.ProduceAsync("orders", new Message<string, string> { Key = "p", Value = "rejected" }));
        Assert.Equal(ErrorCode.MsgSizeTooLarge, failure.Error.Code);

        var next = await producer.ProduceAsync("orders", new Message<string, string> { Key = "p", Value = "accepted" });
        Assert.Equal(PersistenceStatus.Persisted, next.Status);

        kafka.PushRequestErrors(KafkaApiKey.Produce, ErrorCode.MsgSizeTooLarge);
        kafka.ClearRequestErrors(KafkaApiKey.Produce);
        var afterClear = await producer.ProduceAsync("orders", new Message<string, string> { Key = "p", Value = "after clear" });
        Assert.Equal(PersistenceStatus.Persisted, afterClear.Status);
    }
}
