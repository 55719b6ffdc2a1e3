namespace FluxGate.AppHost.Containers;

/// <summary>
/// Kafka in a container: the single-node KRaft image Aspire's Kafka integration uses. That package is not on our feed,
/// so this is its resource in small: a host listener for the services and an internal one for other containers.
/// </summary>
public sealed class KafkaContainerResource(string name) : ContainerResource(name), IResourceWithConnectionString
{
    public const string PrimaryEndpointName = "tcp";
    public const string InternalEndpointName = "internal";

    public EndpointReference PrimaryEndpoint => new(this, PrimaryEndpointName);

    public EndpointReference InternalEndpoint => new(this, InternalEndpointName);

    public ReferenceExpression ConnectionStringExpression =>
        ReferenceExpression.Create($"{PrimaryEndpoint.Property(EndpointProperty.HostAndPort)}");
}

public static class KafkaContainerExtensions
{
    private const string Image = "confluentinc/confluent-local";
    private const string Tag = "8.1.1";
    private const int BrokerPort = 9092;
    private const int InternalBrokerPort = 9093;

    public static IResourceBuilder<KafkaContainerResource> AddKafkaContainer(this IDistributedApplicationBuilder builder, string name)
    {
        var kafka = new KafkaContainerResource(name);
        return builder.AddResource(kafka)
            .WithEndpoint(targetPort: BrokerPort, name: KafkaContainerResource.PrimaryEndpointName)
            .WithEndpoint(targetPort: InternalBrokerPort, name: KafkaContainerResource.InternalEndpointName)
            .WithImage(Image, Tag)
            .WithImageRegistry("docker.io")
            .WithEnvironment(context =>
            {
                context.EnvironmentVariables["KAFKA_LISTENERS"] =
                    $"PLAINTEXT://localhost:29092,CONTROLLER://localhost:29093,PLAINTEXT_HOST://0.0.0.0:{BrokerPort},PLAINTEXT_INTERNAL://0.0.0.0:{InternalBrokerPort}";
                context.EnvironmentVariables["KAFKA_LISTENER_SECURITY_PROTOCOL_MAP"] =
                    "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,PLAINTEXT_HOST:PLAINTEXT,PLAINTEXT_INTERNAL:PLAINTEXT";
                // The host listener is advertised as the address clients use; the internal one by container name.
                context.EnvironmentVariables["KAFKA_ADVERTISED_LISTENERS"] = context.ExecutionContext.IsRunMode
                    ? ReferenceExpression.Create(
                        $"PLAINTEXT://localhost:29092,PLAINTEXT_HOST://localhost:{kafka.PrimaryEndpoint.Property(EndpointProperty.Port)},PLAINTEXT_INTERNAL://{kafka.Name}:{kafka.InternalEndpoint.Property(EndpointProperty.TargetPort)}")
                    : ReferenceExpression.Create(
                        $"PLAINTEXT://{kafka.PrimaryEndpoint.Property(EndpointProperty.Host)}:29092,PLAINTEXT_HOST://{kafka.PrimaryEndpoint.Property(EndpointProperty.HostAndPort)},PLAINTEXT_INTERNAL://{kafka.InternalEndpoint.Property(EndpointProperty.HostAndPort)}");
                // Topics are created by the first producer (orders: 6 partitions, keyed by product).
                context.EnvironmentVariables["KAFKA_NUM_PARTITIONS"] = "6";
            })
            .WithVolume($"fluxgate-{name}-data", "/var/lib/kafka/data")
            .WithEnvironment("KAFKA_LOG_DIRS", "/var/lib/kafka/data");
    }
}
