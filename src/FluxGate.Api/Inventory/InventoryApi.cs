using FluxGate.Api.Http;
using FluxGate.Api.Redis;
using FluxGate.Clients;
using FluxGate.Contracts;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.ModelBinding;

namespace FluxGate.Api.Inventory;

public static partial class InventoryApi
{
    private const string InitFailed = "Stock initialization failed";

    public static IEndpointRouteBuilder MapInventoryApi(this IEndpointRouteBuilder app)
    {
        app.MapPost("/init", InitializeAsync)
            .AddEndpointFilter<AdminKeyFilter>()
            .WithName("InitializeStock")
            .WithSummary("Initialize or reset a product's stock, rate buckets and purchase limit (admin; header x-api-key when configured)")
            .WithRequestBodyRules()
            .Produces<StatusResponse>(StatusCodes.Status200OK)
            .Produces<ErrorResponse>(StatusCodes.Status400BadRequest)
            .Produces<ErrorResponse>(StatusCodes.Status401Unauthorized)
            .Produces<ErrorResponse>(StatusCodes.Status403Forbidden)
            .FailsWith(InitFailed);

        app.MapGet("/inventory/{productId}", GetInventoryAsync)
            .WithName("GetInventory")
            .WithSummary("Current stock of a product (read-only)")
            .UnavailableWith("Inventory unavailable; retry shortly");
        return app;
    }

    public static async Task<Results<JsonHttpResult<StatusResponse>, JsonHttpResult<ErrorResponse>>> InitializeAsync(
        [FromBody(EmptyBodyBehavior = EmptyBodyBehavior.Allow)] InitRequest init, InventoryService inventory, ILoggerFactory loggers)
    {
        // The body's rules held (RequestBodyRules): productId and quantity are there.
        var (productId, quantity) = (init.ProductId!, init.Quantity!.Value);
        if (await inventory.InitializeAsync(productId, quantity, init.MaxPerCustomer, init.StockBuckets ?? 1, init.StartsAt))
        {
            return ApiResults.Status(StatusCodes.Status200OK, new StatusResponse("ok", $"Stock initialized for {productId} to {quantity}"));
        }
        LogInitFailed(loggers.CreateLogger(typeof(InventoryApi)), productId, "kafka refused the StockInitialized event");
        return ApiResults.Status(StatusCodes.Status500InternalServerError, new StatusResponse("error", InitFailed));
    }

    public static async Task<Results<Ok<InventoryResponse>, JsonHttpResult<ErrorResponse>, JsonHttpResult<StatusResponse>>> GetInventoryAsync(
        string productId, InventoryService inventory)
    {
        if (InputRules.CheckProductId(productId) is { } invalid)
        {
            return ApiResults.Error(ApiError.BadRequest(invalid));
        }
        return await inventory.GetSaleAsync(productId) is { } sale
            ? TypedResults.Ok(new InventoryResponse(productId, Math.Max(0, sale.Stock!.Value), sale.StartsAt))
            : ApiResults.Status(StatusCodes.Status404NotFound, new StatusResponse("not_found", $"Unknown product {productId}"));
    }

    [LoggerMessage(LogLevel.Error, "Init of product {ProductId} failed: {Reason}")]
    private static partial void LogInitFailed(ILogger logger, string productId, string reason);
}
