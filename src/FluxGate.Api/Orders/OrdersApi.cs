using System.Diagnostics;
using FluxGate.Api.Http;
using FluxGate.Api.Telemetry;
using FluxGate.Contracts;
using Microsoft.AspNetCore.Http.HttpResults;

namespace FluxGate.Api.Orders;

public static class OrdersApi
{
    public const string IdempotencyKeyHeader = "x-idempotency-key";

    public static IEndpointRouteBuilder MapOrdersApi(this IEndpointRouteBuilder app)
    {
        app.MapPost("/order", PlaceOrderAsync)
            .WithName("PlaceOrder")
            .WithSummary("Attempt to buy one unit of a product (the flash-sale hot path)")
            .WithJsonRequestBody<OrderRequest>()
            .Produces<StatusResponse>(StatusCodes.Status200OK)
            .Produces(StatusCodes.Status302Found)
            .Produces<ErrorResponse>(StatusCodes.Status400BadRequest)
            .Produces<StatusResponse>(StatusCodes.Status403Forbidden)
            .Produces<StatusResponse>(StatusCodes.Status409Conflict)
            .Produces<ErrorResponse>(StatusCodes.Status413PayloadTooLarge)
            .Produces<ErrorResponse>(StatusCodes.Status415UnsupportedMediaType)
            .Produces<StatusResponse>(StatusCodes.Status429TooManyRequests)
            .FailsWith("Order processing failed");

        app.MapGet("/status/{orderId}", GetStatusAsync)
            .WithName("GetOrderStatus")
            .WithSummary("Where an accepted order stands: accepted (in Kafka or persisted) or cancelled")
            .UnavailableWith("Order status unavailable; retry shortly");

        app.MapPost("/cancel/{orderId}", CancelAsync)
            .WithName("CancelOrder")
            .WithSummary("Cancel an accepted order and return its unit to stock (body: the userId that placed it)")
            .WithJsonRequestBody<CancelRequest>()
            .FailsWith("Cancellation failed; retry with the same request");
        return app;
    }

    public static async Task<Results<Ok<OrderStatusResponse>, JsonHttpResult<StatusResponse>, JsonHttpResult<ErrorResponse>>> GetStatusAsync(
        string orderId, OrderLookup lookup, CancellationToken cancellationToken)
    {
        if (!Guid.TryParse(orderId, out var id))
        {
            return ApiResults.Error(ApiError.BadRequest("orderId must be a UUID"));
        }
        var order = await lookup.FindAsync(id, cancellationToken);
        return order is null
            ? ApiResults.Status(StatusCodes.Status404NotFound, new StatusResponse("not_found", "Unknown order"))
            : TypedResults.Ok(new OrderStatusResponse(order.OrderId, order.Status, order.Persisted, order.ProductId, order.UserId, order.AcceptedAt));
    }

    public static async Task<Results<JsonHttpResult<StatusResponse>, JsonHttpResult<ErrorResponse>>> CancelAsync(
        string orderId, HttpRequest request, OrderCancellation cancellation, CancellationToken cancellationToken)
    {
        if (!Guid.TryParse(orderId, out var id))
        {
            return ApiResults.Error(ApiError.BadRequest("orderId must be a UUID"));
        }
        var (cancel, invalidBody) = await JsonRequestBody.ReadAsync<CancelRequest>(request, CancelRequest.Parse);
        if (cancel is null)
        {
            return ApiResults.Error(invalidBody!);
        }

        var outcome = await cancellation.CancelAsync(id, cancel.UserId, cancellationToken);
        return ApiResults.ForCancellation(outcome, id);
    }

    public static async Task<Results<StatusJsonResult, RedirectHttpResult, JsonHttpResult<StatusResponse>, JsonHttpResult<ErrorResponse>>> PlaceOrderAsync(
        HttpContext context, OrderIntake intake, AdmissionVerifier admission, WaitingRoomRedirect waitingRoom, OrderMetrics metrics)
    {
        var started = Stopwatch.GetTimestamp();
        var request = context.Request;

        var idempotencyKeys = request.Headers[IdempotencyKeyHeader];
        if (idempotencyKeys.Count > 1)
        {
            // ASP.NET joins repeated headers as "k1,k2": taken as one key, that would be a new order.
            return Refuse(ApiError.SeveralIdempotencyKeys);
        }
        var idempotencyKey = idempotencyKeys.ToString();
        if (idempotencyKey.Length == 0)
        {
            return Refuse(ApiError.MissingIdempotencyKey);
        }
        if (InputRules.CheckIdempotencyKey(idempotencyKey, IdempotencyKeyHeader) is { } invalidKey)
        {
            return Refuse(ApiError.BadRequest(invalidKey));
        }

        var (order, invalidBody) = await JsonRequestBody.ReadAsync<OrderRequest>(request, OrderRequest.Parse);
        if (order is null)
        {
            return Refuse(invalidBody!);
        }

        long? admittedTicket = null;
        if (request.Headers[AdmissionToken.HeaderName] is { Count: > 0 } token)
        {
            admittedTicket = admission.Verify(token.ToString(), order.ProductId, out var refusal);
            if (admittedTicket is null)
            {
                metrics.RecordOrder("admission_refused", Stopwatch.GetElapsedTime(started));
                return ApiResults.Status(StatusCodes.Status403Forbidden, new StatusResponse("error", refusal!));
            }
        }

        var shopper = Shopper.Anonymous(order.UserId, context.Connection.RemoteIpAddress);
        OrderResult result;
        try
        {
            result = await intake.PlaceAsync(order, idempotencyKey, admittedTicket, shopper);
        }
        catch
        {
            metrics.RecordOrder("failed", Stopwatch.GetElapsedTime(started));
            throw; // ErrorMapping answers the spec's 500
        }
        metrics.RecordOrder(result.Name, Stopwatch.GetElapsedTime(started));
        return ApiResults.ForOrder(result, context.Response, waitingRoom, order, idempotencyKey);

        JsonHttpResult<ErrorResponse> Refuse(ApiError error)
        {
            metrics.RecordOrder("invalid", Stopwatch.GetElapsedTime(started));
            return ApiResults.Error(error);
        }
    }
}
