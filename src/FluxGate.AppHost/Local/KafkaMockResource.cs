using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;

namespace FluxGate.AppHost.Local;

/// <summary>
/// Kafka for development and tests: librdkafka's mock cluster, living in the AppHost's process (in the tests', under
/// DistributedApplicationTestingBuilder), so that <see cref="Cluster"/> can inject faults. Its address is known once
/// it has started; the connection string waits for that.
/// </summary>
public sealed class KafkaMockResource(string name, KafkaMockClusterOptions options) : Resource(name), IResourceWithConnectionString
{
    private readonly TaskCompletionSource<KafkaMockCluster> _started = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public KafkaMockClusterOptions Options { get; } = options;

    /// <summary>The running cluster, for fault injection; null until started.</summary>
    public KafkaMockCluster? Cluster => _started.Task.IsCompletedSuccessfully ? _started.Task.Result : null;

    public ReferenceExpression ConnectionStringExpression => ReferenceExpression.Create($"{new BootstrapServers(this)}");

    internal void Started(KafkaMockCluster cluster) => _started.TrySetResult(cluster);

    private sealed class BootstrapServers(KafkaMockResource resource) : IValueProvider, IManifestExpressionProvider
    {
        public string ValueExpression => $"{{{resource.Name}.connectionString}}";

        public async ValueTask<string?> GetValueAsync(CancellationToken cancellationToken = default) =>
            (await resource._started.Task.WaitAsync(cancellationToken)).BootstrapServers;
    }
}

public static class KafkaMockExtensions
{
    /// <summary>
    /// The mock cluster as a resource: its state and bootstrap servers in the dashboard, Stop/Start commands that take
    /// its brokers down and up (clients see Kafka unreachable), healthy while its brokers are up.
    /// </summary>
    public static IResourceBuilder<KafkaMockResource> AddKafkaMock(this IDistributedApplicationBuilder builder, string name,
        KafkaMockClusterOptions? options = null)
    {
        var kafka = new KafkaMockResource(name, options ?? new KafkaMockClusterOptions());
        var healthCheckKey = $"{name}_check";
        builder.Services.AddHealthChecks().AddCheck(healthCheckKey, () => kafka.Cluster switch
        {
            null => HealthCheckResult.Unhealthy("not started"),
            { IsUp: false } => HealthCheckResult.Unhealthy("brokers down"),
            _ => HealthCheckResult.Healthy(),
        });

        return builder.AddResource(kafka)
            .WithInitialState(new CustomResourceSnapshot
            {
                ResourceType = "KafkaMock",
                State = KnownResourceStates.NotStarted,
                Properties = [new(CustomResourceKnownProperties.Source, "librdkafka mock cluster")],
            })
            .WithHealthCheck(healthCheckKey)
            .WithIconName("Server")
            .ExcludeFromManifest()
            .OnInitializeResource(async (resource, @event, cancellationToken) =>
            {
                await @event.Eventing.PublishAsync(new BeforeResourceStartedEvent(resource, @event.Services), cancellationToken);
                var cluster = KafkaMockCluster.Start(resource.Options);
                // Destroying the cluster joins its broker thread: after everything that talks to it has stopped.
                @event.Services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopped.Register(cluster.Dispose);
                resource.Started(cluster);
                @event.Logger.LogInformation("Kafka mock cluster listening on {BootstrapServers} (topics: {Topics})",
                    cluster.BootstrapServers, string.Join(", ", resource.Options.Topics.Select(topic => $"{topic.Key} ×{topic.Value}")));
                await PublishStateAsync(@event.Notifications, resource, KnownResourceStates.Running, cluster);
                await @event.Eventing.PublishAsync(new ConnectionStringAvailableEvent(resource, @event.Services), cancellationToken);
            })
            .WithCommand(KnownResourceCommands.StopCommand, "Stop brokers", async context =>
            {
                kafka.Cluster?.SetAllBrokersDown();
                await PublishStateAsync(context.Services.GetRequiredService<ResourceNotificationService>(), kafka,
                    KnownResourceStates.Exited, kafka.Cluster);
                return CommandResults.Success();
            }, new CommandOptions
            {
                IconName = "Stop",
                UpdateState = context => kafka.Cluster is { IsUp: true } ? ResourceCommandState.Enabled : ResourceCommandState.Hidden,
            })
            .WithCommand(KnownResourceCommands.StartCommand, "Start brokers", async context =>
            {
                kafka.Cluster?.SetAllBrokersUp();
                await PublishStateAsync(context.Services.GetRequiredService<ResourceNotificationService>(), kafka,
                    KnownResourceStates.Running, kafka.Cluster);
                return CommandResults.Success();
            }, new CommandOptions
            {
                IconName = "Play",
                UpdateState = context => kafka.Cluster is { IsUp: false } ? ResourceCommandState.Enabled : ResourceCommandState.Hidden,
            });
    }

    private static Task PublishStateAsync(ResourceNotificationService notifications, KafkaMockResource resource, string state,
        KafkaMockCluster? cluster) =>
        notifications.PublishUpdateAsync(resource, snapshot => snapshot with
        {
            State = state,
            StartTimeStamp = state == KnownResourceStates.Running ? DateTime.UtcNow : snapshot.StartTimeStamp,
            StopTimeStamp = state == KnownResourceStates.Exited ? DateTime.UtcNow : null,
            Properties = [.. snapshot.Properties.Where(property => property.Name != "kafka.bootstrapServers"),
                new("kafka.bootstrapServers", cluster?.BootstrapServers ?? "")],
        });
}
