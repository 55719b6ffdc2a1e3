using Confluent.Kafka;

namespace FluxGate.Clients;

/// <summary>Where Kafka is and how to talk to it; the base of every producer, consumer and admin client config.</summary>
public sealed class KafkaConnection(string bootstrapServers, IReadOnlyDictionary<string, string> clientProperties)
{
    public string BootstrapServers { get; } = bootstrapServers;

    public ProducerConfig ProducerConfig() => Apply(new ProducerConfig());

    public ConsumerConfig ConsumerConfig() => Apply(new ConsumerConfig());

    public AdminClientConfig AdminClientConfig() => Apply(new AdminClientConfig());

    private T Apply<T>(T config) where T : ClientConfig
    {
        foreach (var (key, value) in clientProperties)
        {
            config.Set(key, value);
        }
        config.BootstrapServers = BootstrapServers;
        return config;
    }
}
