using FluxGate.Api.Orders;
using Microsoft.AspNetCore.Http.HttpResults;

namespace FluxGate.Api.Http;

/// <summary>The one place where outcomes and errors become the spec's responses.</summary>
public static class ApiResults
{
    public static readonly StatusResponse SoldOut = new("sold_out", "Inventory empty");
    public static readonly StatusResponse ProcessingFailed = new("error", "Order processing failed");

    public static JsonHttpResult<ErrorResponse> Error(ApiError error) =>
        TypedResults.Json(new ErrorResponse(error.Message), ApiJsonContext.Default.ErrorResponse, statusCode: error.StatusCode);

    public static JsonHttpResult<StatusResponse> Status(int statusCode, StatusResponse body) =>
        TypedResults.Json(body, ApiJsonContext.Default.StatusResponse, statusCode: statusCode);

    public static Results<JsonHttpResult<StatusResponse>, RedirectHttpResult, JsonHttpResult<ErrorResponse>> ForOrder(
        OrderResult result, HttpResponse response, WaitingRoomRedirect waitingRoom, OrderRequest order, string idempotencyKey) => result.Outcome switch
    {
        OrderOutcome.Accepted => Status(StatusCodes.Status200OK, new StatusResponse("success", "Order accepted", result.OrderId)),
        OrderOutcome.Duplicate => Status(StatusCodes.Status200OK, new StatusResponse("ignored", "Duplicate request", result.OrderId)),
        OrderOutcome.InProgress => InProgress(response, result.OrderId),
        OrderOutcome.SoldOut => Status(StatusCodes.Status409Conflict, SoldOut),
        OrderOutcome.RateLimited => TypedResults.Redirect(waitingRoom.For(order, idempotencyKey)),
        OrderOutcome.AdmissionAlreadyUsed => Status(StatusCodes.Status403Forbidden, new StatusResponse("error", "Admission token already used")),
        _ => Status(StatusCodes.Status500InternalServerError, ProcessingFailed),
    };

    public static JsonHttpResult<StatusResponse> ForCancellation(CancellationOutcome outcome, Guid orderId) => outcome switch
    {
        CancellationOutcome.Cancelled => Status(StatusCodes.Status200OK, new StatusResponse("cancelled", "Order cancelled", orderId)),
        CancellationOutcome.AlreadyCancelled => Status(StatusCodes.Status200OK, new StatusResponse("ignored", "Order already cancelled", orderId)),
        CancellationOutcome.NotFound => Status(StatusCodes.Status404NotFound, new StatusResponse("not_found", "Unknown order")),
        CancellationOutcome.NotOwner => Status(StatusCodes.Status403Forbidden, new StatusResponse("error", "Order belongs to another user")),
        _ => Status(StatusCodes.Status500InternalServerError, new StatusResponse("error", "Cancellation failed; retry with the same request")),
    };

    private static JsonHttpResult<StatusResponse> InProgress(HttpResponse response, Guid orderId)
    {
        response.Headers.RetryAfter = "1";
        return Status(StatusCodes.Status429TooManyRequests, new StatusResponse("in_progress", "Order is still being processed; retry shortly", orderId));
    }
}
