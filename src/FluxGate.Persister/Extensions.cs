using FluxGate.Persister;
using FluxGate.Persister.Consuming;
using FluxGate.Persister.Diagnostics;
using FluxGate.Persister.Writing;
using FluxGate.Storage.Schema;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.Hosting;

public static class PersisterExtensions
{
    /// <summary>The persister: options, schema migrator, batch writer, metrics and the consumer that drives them.</summary>
    public static IHostApplicationBuilder AddApplicationServices(this IHostApplicationBuilder builder)
    {
        builder.AddKafkaConnection("kafka");

        builder.AddPostgresConnection("fluxgate");

        builder.Services.AddValidatedOptions<PersisterOptions, PersisterOptionsValidator>(PersisterOptions.Section);

        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<PersisterMetrics>();
        builder.Services.AddSingleton<SchemaMigrator>();
        builder.Services.AddSingleton<OrderBatchWriter>();
        builder.Services.AddSingleton<ConsumerLoopState>();
        builder.Services.AddSingleton<LogGapGuard>();
        builder.Services.AddHostedService<OrdersConsumer>();
        builder.Services.AddHealthChecks()
            .AddCheck<ConsumerLoopHealthCheck>("consumer", tags: [Extensions.ReadyTag]);

        return builder;
    }
}
