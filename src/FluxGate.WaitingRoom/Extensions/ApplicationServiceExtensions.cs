using System.Globalization;
using System.Text;
using FluxGate.Clients;
using FluxGate.Contracts;
using FluxGate.ServiceDefaults.Authentication;
using FluxGate.WaitingRoom.Admission;
using FluxGate.WaitingRoom.Apis;
using FluxGate.WaitingRoom.Options;
using FluxGate.WaitingRoom.Ordering;
using FluxGate.WaitingRoom.Page;
using FluxGate.WaitingRoom.Queue;
using FluxGate.WaitingRoom.Telemetry;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Options;

namespace FluxGate.WaitingRoom.Extensions;

public static class ApplicationServiceExtensions
{
    /// <summary>The waiting room's services: options (validated at start), the queue, admission, the API client, the page.</summary>
    public static IHostApplicationBuilder AddApplicationServices(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;

        services.AddValidatedOptions<WaitingRoomOptions, WaitingRoomOptionsValidator>(WaitingRoomOptions.Section)
            .PostConfigure(options =>
            {
                if (options.AdmissionRatePerSecond == 0)
                {
                    options.AdmissionRatePerSecond = DefaultAdmissionRate(builder.Configuration, builder.Environment);
                }
            });
        builder.AddAdmissionOptions(keyRequired: true);

        // Shopper tokens (Auth): the same issuer as the api's; the room forwards a shopper's token with their order.
        builder.AddShopperAuthentication(InputRules.CheckUserId);

        services.TryAddSingletonTimeProvider();
        services.AddSingleton<WaitingRoomMetrics>();
        services.AddSingleton<ISaleStates, ApiSaleStates>();
        services.AddSingleton<WaitingQueue>();
        services.AddSingleton(provider =>
            new TicketHandles(provider.GetRequiredService<IOptions<AdmissionOptions>>().Value.SigningKeyBytes()!));
        services.AddSingleton<AdmissionIssuer>();
        services.AddSingleton<ReturnUrlPolicy>();
        services.AddSingleton<OrderHandOff>();
        services.AddSingleton(new PageRenderer(PageTemplate.Load()));

        var orderApi = services.AddHttpClient<OrderApiClient>((provider, http) =>
            {
                var options = provider.GetRequiredService<IOptions<WaitingRoomOptions>>().Value;
                http.BaseAddress = options.ApiUrl;
                http.Timeout = options.ApiTimeout;
            })
            // The API's 302 must reach the room as a 302, not be followed.
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler { AllowAutoRedirect = false });
        // No automatic retries of a POST /order: the page retries with the same idempotency key and a fresh token.
#pragma warning disable EXTEXP0001 // Experimental, but the one way to drop the default pipeline for a single client.
        orderApi.RemoveAllResilienceHandlers();
#pragma warning restore EXTEXP0001

        services.Configure<JsonOptions>(options =>
            options.SerializerOptions.TypeInfoResolverChain.Insert(0, WaitingRoomJsonContext.Default));
        // The api's body rules: unreadable bodies refused in words (ErrorMapping), at most the api's size. Header bytes
        // beyond ASCII are legal HTTP, decoded as Latin-1 rather than refused by Kestrel with an empty 400 (the room
        // reads no header of its own).
        builder.AddJsonRequestBodies(InputRules.MaxRequestBodyBytes);
        services.Configure<KestrelServerOptions>(options => options.RequestHeaderEncodingSelector = _ => Encoding.Latin1);
        builder.AddErrorMapping(RefusalBody.Status);
        return builder;
    }

    /// <summary>The API's rate: <c>RateLimit:PermitsPerSecond</c>, else its defaults (Development 50, otherwise 10,000).</summary>
    private static double DefaultAdmissionRate(IConfiguration configuration, IHostEnvironment environment) =>
        double.TryParse(configuration["RateLimit:PermitsPerSecond"], NumberStyles.Float, CultureInfo.InvariantCulture, out var rate)
            ? rate
            : environment.IsDevelopment() ? 50 : 10_000;

    private static void TryAddSingletonTimeProvider(this IServiceCollection services)
    {
        if (services.All(descriptor => descriptor.ServiceType != typeof(TimeProvider)))
        {
            services.AddSingleton(TimeProvider.System);
        }
    }
}
