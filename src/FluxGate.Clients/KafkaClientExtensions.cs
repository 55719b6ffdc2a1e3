using FluxGate.Clients;
using FluxGate.Clients.HealthChecks;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Microsoft.Extensions.Hosting;

public static class KafkaClientExtensions
{
    /// <summary>
    /// Registers <see cref="KafkaConnection"/> (bootstrap servers from <c>ConnectionStrings:{name}</c>, plus any
    /// librdkafka properties under <c>Kafka:Client</c>, e.g. <c>security.protocol</c> for a managed cluster)
    /// and a readiness check that fetches the cluster's metadata.
    /// </summary>
    public static IHostApplicationBuilder AddKafkaConnection(this IHostApplicationBuilder builder, string connectionName)
    {
        var bootstrapServers = ConnectionStrings.Require(builder.Configuration, connectionName);
        var clientProperties = builder.Configuration.GetSection("Kafka:Client").GetChildren()
            .Where(setting => setting.Value is not null)
            .ToDictionary(setting => setting.Key, setting => setting.Value!);

        builder.Services.AddSingleton(new KafkaConnection(bootstrapServers, clientProperties));
        builder.Services.AddSingleton<KafkaHealthCheck>();
        builder.Services.AddHealthChecks()
            .AddCheck<KafkaHealthCheck>(connectionName, tags: [Extensions.ReadyTag]);
        return builder;
    }
}
