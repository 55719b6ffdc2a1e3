using FluxGate.Api.Orders;
using FluxGate.Clients;
using FluxGate.Contracts;
using FluxGate.ServiceDefaults.Authentication;
using Microsoft.AspNetCore.Http.HttpResults;

namespace FluxGate.Api.Http;

/// <summary>The one place where outcomes and errors become the spec's responses.</summary>
public static class ApiResults
{
    // The order path's answers, encoded once: the hot path only copies bytes (and an order id) into the response.
    private static readonly EncodedStatus OrderAccepted = EncodedStatus.WithOrderId(StatusCodes.Status200OK, "success", "Order accepted");
    private static readonly EncodedStatus OrderDuplicate = EncodedStatus.WithOrderId(StatusCodes.Status200OK, "ignored", "Duplicate request");
    private static readonly EncodedStatus OrderInProgress = EncodedStatus.WithOrderId(StatusCodes.Status429TooManyRequests, "in_progress", "Order is still being processed; retry shortly");
    private static readonly EncodedStatus OrderSoldOut = EncodedStatus.Of(StatusCodes.Status409Conflict, "sold_out", "Inventory empty");
    private static readonly EncodedStatus OrderLimitReached = EncodedStatus.Of(StatusCodes.Status409Conflict, "limit_reached", "Purchase limit reached");
    private static readonly EncodedStatus AdmissionAlreadyUsed = EncodedStatus.Of(StatusCodes.Status403Forbidden, "error", "Admission token already used");
    private static readonly EncodedStatus OrderFailed = EncodedStatus.Of(StatusCodes.Status500InternalServerError, "error", "Order processing failed");

    public static JsonHttpResult<ErrorResponse> Error(ApiError error) =>
        TypedResults.Json(new ErrorResponse(error.Message), ApiJsonContext.Default.ErrorResponse, statusCode: error.StatusCode);

    public static JsonHttpResult<StatusResponse> Status(int statusCode, StatusResponse body) =>
        TypedResults.Json(body, ApiJsonContext.Default.StatusResponse, statusCode: statusCode);

    public static Results<StatusJsonResult, RedirectHttpResult, JsonHttpResult<StatusResponse>, JsonHttpResult<ErrorResponse>> ForOrder(
        OrderResult result, HttpResponse response, WaitingRoomRedirect waitingRoom, string productId, string userId, string idempotencyKey) =>
        result.Outcome switch
        {
            OrderOutcome.Accepted => OrderAccepted.Result(result.OrderId),
            OrderOutcome.Duplicate => OrderDuplicate.Result(result.OrderId),
            OrderOutcome.InProgress => InProgress(response, result.OrderId),
            OrderOutcome.SoldOut => OrderSoldOut.Result(),
            OrderOutcome.RateLimited or OrderOutcome.NotOpenYet => TypedResults.Redirect(waitingRoom.For(productId, userId, idempotencyKey)),
            OrderOutcome.AdmissionAlreadyUsed => AdmissionAlreadyUsed.Result(),
            OrderOutcome.LimitReached => OrderLimitReached.Result(),
            _ => OrderFailed.Result(),
        };

    public static JsonHttpResult<StatusResponse> ForCancellation(CancellationOutcome outcome, Guid orderId) => outcome switch
    {
        CancellationOutcome.Cancelled => Status(StatusCodes.Status200OK, new StatusResponse("cancelled", "Order cancelled", orderId)),
        CancellationOutcome.AlreadyCancelled => Status(StatusCodes.Status200OK, new StatusResponse("ignored", "Order already cancelled", orderId)),
        CancellationOutcome.NotFound => Status(StatusCodes.Status404NotFound, new StatusResponse("not_found", "Unknown order")),
        CancellationOutcome.NotOwner => Status(StatusCodes.Status403Forbidden, new StatusResponse("error", "Order belongs to another user")),
        _ => Status(StatusCodes.Status500InternalServerError, new StatusResponse("error", "Cancellation failed; retry with the same request")),
    };

    /// <summary>401 for a missing (where required) or invalid shopper token, with the <c>WWW-Authenticate</c> challenge.</summary>
    public static JsonHttpResult<StatusResponse> Unauthenticated(ShopperCredential credential, HttpResponse response)
    {
        response.Headers.WWWAuthenticate = credential.Challenge;
        return Status(StatusCodes.Status401Unauthorized, new StatusResponse("error", credential.Problem!));
    }

    /// <summary>403: the body names a user other than the signed-in shopper.</summary>
    public static JsonHttpResult<StatusResponse> NotTheSignedInShopper() =>
        Status(StatusCodes.Status403Forbidden, new StatusResponse("error", "userId does not match the signed-in shopper"));

    private static StatusJsonResult InProgress(HttpResponse response, Guid orderId)
    {
        response.Headers.RetryAfter = "1";
        return OrderInProgress.Result(orderId);
    }
}
