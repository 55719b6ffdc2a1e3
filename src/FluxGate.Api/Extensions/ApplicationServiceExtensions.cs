using System.Text;
using FluxGate.Api.Events;
using FluxGate.Api.Http;
using FluxGate.Api.Inventory;
using FluxGate.Api.Kafka;
using FluxGate.Api.Options;
using FluxGate.Api.Orders;
using FluxGate.Api.Redis;
using FluxGate.Api.Telemetry;
using FluxGate.Clients;
using FluxGate.Contracts;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using Microsoft.Extensions.Options;

namespace FluxGate.Api.Extensions;

public static class ApplicationServiceExtensions
{
    public static IHostApplicationBuilder AddApplicationServices(this IHostApplicationBuilder builder)
    {
        builder.AddRedisConnection("redis");
        builder.AddKafkaConnection("kafka");
        builder.AddPostgresConnection("fluxgate");
        builder.AddReconciliation();
        builder.AddShopperAuthentication(InputRules.CheckUserId); // Auth: shopper tokens, asked for by the handlers

        var defaultPermitsPerSecond = builder.Environment.IsDevelopment() ? 50 : 10_000;
        // The environment's default, registered before the section is bound so that a configured value wins.
        builder.Services.Configure<RateLimitOptions>(options => options.PermitsPerSecond = defaultPermitsPerSecond);
        builder.Services.AddValidatedOptions<RateLimitOptions, RateLimitOptionsValidation>(RateLimitOptions.Section);
        builder.Services.AddValidatedOptions<IdempotencyOptions>(IdempotencyOptions.Section);
        builder.Services.AddValidatedOptions<OrderBatchingOptions>(OrderBatchingOptions.Section);
        builder.Services.AddValidatedOptions<WaitingRoomOptions>(WaitingRoomOptions.Section);
        builder.Services.AddValidatedOptions<KafkaProducerOptions>(KafkaProducerOptions.Section);
        builder.Services.AddValidatedOptions<AdminOptions>(AdminOptions.Section);
        builder.AddAdmissionOptions(keyRequired: false);

        // Shoppers send a request and wait for its answer: reading straight into a pooled buffer saves the
        // zero-byte read per request (a syscall) at the cost of a 4 KiB buffer per open connection.
        builder.Services.Configure<SocketTransportOptions>(options => options.WaitForDataBeforeAllocatingBuffer = false);
        // "Server: Kestrel" is 17 bytes on every small answer and tells a client nothing it needs.
        builder.Services.Configure<KestrelServerOptions>(options => options.AddServerHeader = false);
        // Header bytes beyond ASCII are legal HTTP: decoded as Latin-1 they reach the input rules and get a JSON 400
        // instead of Kestrel's empty one (by default Kestrel refuses any header that is not valid UTF-8).
        builder.Services.Configure<KestrelServerOptions>(options => options.RequestHeaderEncodingSelector = _ => Encoding.Latin1);
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<OrderMetrics>();
        builder.Services.AddValidatedOptions<ReplicaAcknowledgementOptions>(ReplicaAcknowledgementOptions.Section);
        builder.Services.AddSingleton<ReplicaAcknowledgement>();
        builder.Services.AddSingleton<GateScripts>();
        builder.Services.AddSingleton<OrderEventProducer>();
        builder.Services.AddSingleton<SoldOutProducts>();
        builder.Services.AddSingleton<StockBucketMap>();
        builder.Services.AddHostedService<StockReturnedSubscription>();
        builder.Services.AddSingleton<OrderGate>();
        builder.Services.AddSingleton<OrderIntake>();
        builder.Services.AddSingleton<ConfirmRetryQueue>();
        builder.Services.AddHostedService(services => services.GetRequiredService<ConfirmRetryQueue>());
        builder.Services.AddSingleton<AdmissionVerifier>();
        builder.Services.AddSingleton<WaitingRoomRedirect>();
        builder.Services.AddSingleton<OrderLookup>();
        builder.Services.AddSingleton<OrderCancellation>();
        builder.Services.AddSingleton<InventoryService>();
        builder.Services.AddSingleton<InventoryFeed>();
        builder.Services.AddHostedService(services => services.GetRequiredService<InventoryFeed>());
        builder.Services.AddSingleton<AdminKeyFilter>();
        builder.AddApiJson();
        builder.Services.AddOpenApi();
        return builder;
    }

    /// <summary>
    /// Bodies and answers through the api's source-generated JSON context, bodies refused in words (ErrorMapping)
    /// and at most 16 KiB. A body's field names are exact ("PRODUCTID" is an unknown field), and no valid one nests
    /// deeper than 16.
    /// </summary>
    public static IHostApplicationBuilder AddApiJson(this IHostApplicationBuilder builder)
    {
        builder.AddJsonRequestBodies(InputRules.MaxRequestBodyBytes);
        builder.AddErrorMapping(RefusalBody.Error);
        builder.Services.ConfigureHttpJsonOptions(options =>
        {
            options.SerializerOptions.TypeInfoResolverChain.Insert(0, ApiJsonContext.Default);
            options.SerializerOptions.PropertyNameCaseInsensitive = false;
            options.SerializerOptions.MaxDepth = 16;
        });
        return builder;
    }
}
