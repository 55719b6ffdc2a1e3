using System.Diagnostics;
using FluxGate.Api.Http;
using FluxGate.Api.Telemetry;
using FluxGate.Clients;
using FluxGate.Contracts;
using FluxGate.ServiceDefaults.Authentication;
using Microsoft.AspNetCore.Http.HttpResults;

namespace FluxGate.Api.Orders;

public static class OrdersApi
{
    public const string IdempotencyKeyHeader = "x-idempotency-key";

    /// <summary>A request for <c>POST /order</c>, the hot path, answered in full by <see cref="PlaceOrderAsync"/>.</summary>
    public static bool IsPlaceOrder(HttpContext context) =>
        HttpMethods.IsPost(context.Request.Method) && context.Request.Path == "/order";

    public static IEndpointRouteBuilder MapOrdersApi(this IEndpointRouteBuilder app)
    {
        // The hot path takes its services once, here: bound per request they would open a DI scope for every order (a scope,
        // its feature and a dictionary: about 200 B), and every one of them is a singleton.
        var services = app.ServiceProvider;
        var (intake, admission, waitingRoom, metrics, signIn) = (services.GetRequiredService<OrderIntake>(),
            services.GetRequiredService<AdmissionVerifier>(), services.GetRequiredService<WaitingRoomRedirect>(),
            services.GetRequiredService<OrderMetrics>(), services.GetRequiredService<ShopperSignIn>());
        app.MapPost("/order", (HttpContext context) => PlaceOrderAsync(context, intake, admission, waitingRoom, metrics, signIn))
            .WithName("PlaceOrder")
            .WithSummary("Attempt to buy one unit of a product (the flash-sale hot path)")
            .WithOrderBody()
            .Produces<StatusResponse>(StatusCodes.Status200OK)
            .Produces(StatusCodes.Status302Found)
            .Produces<ErrorResponse>(StatusCodes.Status400BadRequest)
            .Produces<StatusResponse>(StatusCodes.Status401Unauthorized)
            .Produces<StatusResponse>(StatusCodes.Status403Forbidden)
            .Produces<StatusResponse>(StatusCodes.Status409Conflict)
            .Produces<ErrorResponse>(StatusCodes.Status413PayloadTooLarge)
            .Produces<ErrorResponse>(StatusCodes.Status415UnsupportedMediaType)
            .Produces<StatusResponse>(StatusCodes.Status429TooManyRequests)
            .FailsWith("Order processing failed");

        app.MapGet("/status/{orderId}", GetStatusAsync)
            .WithName("GetOrderStatus")
            .WithSummary("Where an accepted order stands: accepted (in Kafka or persisted) or cancelled (a signed-in shopper: their own only)")
            .UnavailableWith("Order status unavailable; retry shortly");

        app.MapPost("/cancel/{orderId}", CancelAsync)
            .WithName("CancelOrder")
            .WithSummary("Cancel an accepted order and return its unit to stock (body: the userId that placed it; signed in: optional)")
            .WithRequestBodyRules(bodyRequired: false)
            .FailsWith("Cancellation failed; retry with the same request");
        return app;
    }

    public static async Task<Results<Ok<OrderStatusResponse>, JsonHttpResult<StatusResponse>, JsonHttpResult<ErrorResponse>>> GetStatusAsync(
        string orderId, HttpContext context, OrderLookup lookup, ShopperSignIn signIn, AdminKeyFilter admin, CancellationToken cancellationToken)
    {
        var credential = await signIn.AuthenticateAsync(context);
        var isAdmin = admin.Accepts(context.Request);
        if (credential.State == CredentialState.Invalid || (credential.State == CredentialState.Missing && !isAdmin))
        {
            return ApiResults.Unauthenticated(credential, context.Response);
        }
        if (!Guid.TryParse(orderId, out var id))
        {
            return ApiResults.Error(ApiError.BadRequest("orderId must be a UUID"));
        }
        var order = await lookup.FindAsync(id, cancellationToken);
        if (order is not null && !isAdmin && credential.Subject is { } subject && order.UserId != subject)
        {
            return ApiResults.ForCancellation(CancellationOutcome.NotOwner, id);
        }
        return order is null
            ? ApiResults.Status(StatusCodes.Status404NotFound, new StatusResponse("not_found", "Unknown order"))
            : TypedResults.Ok(new OrderStatusResponse(order.OrderId, order.Status, order.Persisted, order.ProductId, order.UserId, order.AcceptedAt));
    }

    public static async Task<Results<JsonHttpResult<StatusResponse>, JsonHttpResult<ErrorResponse>>> CancelAsync(
        string orderId, CancelRequest? cancel, HttpContext context, OrderCancellation cancellation, ShopperSignIn signIn,
        AdminKeyFilter admin, CancellationToken cancellationToken)
    {
        var request = context.Request;
        var credential = await signIn.AuthenticateAsync(context);
        var isAdmin = admin.Accepts(request);
        if (credential.State == CredentialState.Invalid || (credential.State == CredentialState.Missing && !isAdmin))
        {
            return ApiResults.Unauthenticated(credential, context.Response);
        }
        if (!Guid.TryParse(orderId, out var id))
        {
            return ApiResults.Error(ApiError.BadRequest("orderId must be a UUID"));
        }

        // Whose order it must be: the signed-in shopper's (a body is optional, and must not name someone else), else the
        // body's userId (the spec's anonymous cancel). The admin key may cancel any order (null: no owner check).
        string? owner = null;
        if (credential.Subject is { } subject)
        {
            if (cancel?.UserId is { } userId && userId != subject)
            {
                return ApiResults.NotTheSignedInShopper();
            }
            owner = isAdmin ? null : subject;
        }
        else if (!isAdmin)
        {
            if (cancel?.UserId is not { } userId)
            {
                return ApiResults.Error(cancel is null ? RequestBodyRules.Missing(request) : ApiError.BadRequest(InputRules.CheckUserId(null)!));
            }
            owner = userId;
        }

        var outcome = await cancellation.CancelAsync(id, owner, signedIn: credential.Subject is not null, cancellationToken);
        return ApiResults.ForCancellation(outcome, id);
    }

    public static async ValueTask<Results<StatusJsonResult, RedirectHttpResult, JsonHttpResult<StatusResponse>, JsonHttpResult<ErrorResponse>>> PlaceOrderAsync(
        HttpContext context, OrderIntake intake, AdmissionVerifier admission, WaitingRoomRedirect waitingRoom,
        OrderMetrics metrics, ShopperSignIn signIn)
    {
        var started = Stopwatch.GetTimestamp();
        var request = context.Request;

        // Without an Authorization header (the anonymous hot path) this is one header lookup, completed synchronously.
        var credential = await signIn.AuthenticateAsync(context);
        if (credential.IsRefused)
        {
            metrics.RecordOrder("unauthenticated", Stopwatch.GetElapsedTime(started));
            return ApiResults.Unauthenticated(credential, context.Response);
        }

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

        var (order, invalidBody) = await OrderBodyReader.ReadAsync(request);
        if (order is null)
        {
            return Refuse(invalidBody!);
        }
        // Whose order it is: the body's userId, else (signed in) the token's subject.
        var subject = credential.Subject;
        var productId = order.ProductId!;
        if ((order.UserId ?? subject) is not { } userId)
        {
            return Refuse(ApiError.BadRequest(InputRules.CheckUserId(null)!));
        }
        if (subject is not null && userId != subject)
        {
            metrics.RecordOrder("forbidden", Stopwatch.GetElapsedTime(started));
            return ApiResults.NotTheSignedInShopper();
        }

        long? admittedTicket = null;
        if (request.Headers[AdmissionToken.HeaderName] is { Count: > 0 } token)
        {
            admittedTicket = admission.Verify(token.ToString(), productId, out var refusal);
            if (admittedTicket is null)
            {
                metrics.RecordOrder("admission_refused", Stopwatch.GetElapsedTime(started));
                return ApiResults.Status(StatusCodes.Status403Forbidden, new StatusResponse("error", refusal!));
            }
        }

        var shopper = subject is null ? Shopper.Anonymous(userId, context.Connection.RemoteIpAddress) : Shopper.SignedIn(subject);
        OrderResult result;
        try
        {
            result = await intake.PlaceAsync(productId, userId, idempotencyKey, admittedTicket, shopper);
        }
        catch
        {
            metrics.RecordOrder("failed", Stopwatch.GetElapsedTime(started));
            throw; // ErrorMapping answers the spec's 500
        }
        metrics.RecordOrder(result.Name, Stopwatch.GetElapsedTime(started));
        return ApiResults.ForOrder(result, context.Response, waitingRoom, productId, userId, idempotencyKey);

        JsonHttpResult<ErrorResponse> Refuse(ApiError error)
        {
            metrics.RecordOrder("invalid", Stopwatch.GetElapsedTime(started));
            return ApiResults.Error(error);
        }
    }
}
