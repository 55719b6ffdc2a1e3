using FluxGate.Api.Options;
using FluxGate.Api.Reconciliation;
using FluxGate.Storage;

namespace Microsoft.Extensions.Hosting;

public static class ReconciliationExtensions
{
    /// <summary>The reconciler (a background service), the admin restore and the invariant report, with their options.</summary>
    public static IHostApplicationBuilder AddReconciliation(this IHostApplicationBuilder builder)
    {
        builder.Services.AddValidatedOptions<ReconciliationOptions>(ReconciliationOptions.Section);
        builder.Services.AddSingleton<PersisterProgress>();
        builder.Services.AddSingleton<OrderStore>();
        builder.Services.AddSingleton<ReconciliationMetrics>();
        builder.Services.AddSingleton<ProductRestore>();
        builder.Services.AddSingleton<InvariantCheck>();
        builder.Services.AddHostedService<OrderReconciler>();
        builder.Services.AddHostedService<FluxGate.Api.Redis.RedisFailoverWatch>();
        builder.Services.ConfigureHttpJsonOptions(options =>
            options.SerializerOptions.TypeInfoResolverChain.Add(RecoveryJsonContext.Default));
        return builder;
    }
}
