using FluxGate.Clients;
using FluxGate.Contracts;
using FluxGate.ServiceDefaults.Authentication;
using FluxGate.WaitingRoom.Admission;
using FluxGate.WaitingRoom.Ordering;
using FluxGate.WaitingRoom.Queue;
using Microsoft.AspNetCore.Http.HttpResults;

namespace FluxGate.WaitingRoom.Apis;

/// <summary>
/// The waiting room's JSON API, used by its page: join the line, ask where a ticket stands, and — once served —
/// have the order placed with an admission token (or get the token to carry back to the shop).
/// </summary>
public static class QueueApi
{
    private const string UnknownTicket = "Unknown ticket: join the queue again";
    private const string NotTheSignedInShopper = "userId does not match the signed-in shopper";

    public static IEndpointRouteBuilder MapQueueApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/queue/{productId}").WithTags("Waiting room")
            .UnavailableWith("The waiting room is briefly unavailable; your place is kept", QueueUnavailableException.RetryAfter);
        // Every answer is about one moment of one line: nothing in between may keep a copy.
        api.AddEndpointFilter(async (context, next) =>
        {
            context.HttpContext.Response.Headers.CacheControl = "no-store";
            return await next(context);
        });

        api.MapPost("/join", JoinAsync);
        api.MapGet("/tickets/{ticket}", GetTicketAsync);
        api.MapPost("/tickets/{ticket}/order", PlaceOrderAsync);
        api.MapPost("/tickets/{ticket}/admission", AdmitAsync);
        return app;
    }

    public static async Task<Results<Ok<QueueStatusResponse>, BadRequest<StatusResponse>, JsonHttpResult<StatusResponse>>> JoinAsync(
        string productId, JoinRequest? request, HttpContext context, ShopperSignIn signIn, WaitingQueue queue, TicketHandles handles)
    {
        var credential = await signIn.AuthenticateAsync(context);
        if (credential.IsRefused)
        {
            return Unauthenticated(credential, context.Response);
        }
        // Signed in, the shopper in line is the token's subject: a body userId may be left out, and must not differ.
        var userId = request?.UserId ?? (request?.IdempotencyKey is not null ? credential.Subject : null);
        if (credential.Subject is { } subject && userId is not null && userId != subject)
        {
            return Forbidden(NotTheSignedInShopper);
        }

        ShopperIdentity? shopper = null;
        var problem = InputRules.CheckProductId(productId);
        if (problem is null && (userId is not null || request?.IdempotencyKey is not null))
        {
            problem = InputRules.CheckUserId(userId) ?? InputRules.CheckIdempotencyKey(request?.IdempotencyKey);
            shopper = problem is null ? new ShopperIdentity(userId!, request!.IdempotencyKey!) : null;
        }
        if (problem is not null)
        {
            return TypedResults.BadRequest(StatusResponse.Error(problem));
        }

        var status = await queue.JoinAsync(productId, shopper);
        return TypedResults.Ok(QueueStatusResponse.From(status, handles));
    }

    public static async Task<Results<Ok<QueueStatusResponse>, BadRequest<StatusResponse>, NotFound<StatusResponse>, JsonHttpResult<StatusResponse>>> GetTicketAsync(
        string productId, string ticket, HttpContext context, ShopperSignIn signIn, WaitingQueue queue, TicketHandles handles)
    {
        var credential = await signIn.AuthenticateAsync(context);
        if (credential.IsRefused)
        {
            return Unauthenticated(credential, context.Response);
        }
        if (InputRules.CheckProductId(productId) is { } problem)
        {
            return TypedResults.BadRequest(StatusResponse.Error(problem));
        }
        if (!handles.TryRead(productId, ticket, out var number))
        {
            return TypedResults.NotFound(StatusResponse.Error(UnknownTicket));
        }

        var status = await queue.GetStatusAsync(productId, number);
        return status.State == QueueState.UnknownTicket
            ? TypedResults.NotFound(StatusResponse.Error(UnknownTicket))
            : TypedResults.Ok(QueueStatusResponse.From(status, handles));
    }

    public static async Task<Results<ApiPassthroughResult, Conflict<QueueStatusResponse>, BadRequest<StatusResponse>,
        NotFound<StatusResponse>, JsonHttpResult<StatusResponse>>> PlaceOrderAsync(
        string productId, string ticket, OrderHandOffRequest? request, HttpContext context, ShopperSignIn signIn, TicketHandles handles,
        OrderHandOff handOff, CancellationToken cancellationToken)
    {
        var credential = await signIn.AuthenticateAsync(context);
        if (credential.IsRefused)
        {
            return Unauthenticated(credential, context.Response);
        }
        var userId = request?.UserId ?? credential.Subject;
        if (credential.Subject is { } subject && userId != subject)
        {
            return Forbidden(NotTheSignedInShopper);
        }
        var problem = InputRules.CheckProductId(productId)
                      ?? InputRules.CheckUserId(userId)
                      ?? InputRules.CheckIdempotencyKey(request?.IdempotencyKey);
        if (problem is not null)
        {
            return TypedResults.BadRequest(StatusResponse.Error(problem));
        }
        if (!handles.TryRead(productId, ticket, out var number))
        {
            return TypedResults.NotFound(StatusResponse.Error(UnknownTicket));
        }

        var (status, reply) = await handOff.PlaceOrderAsync(
            productId, number, new ShopperIdentity(userId!, request!.IdempotencyKey!), credential.Token, cancellationToken);
        if (reply is null)
        {
            return status.State == QueueState.UnknownTicket
                ? TypedResults.NotFound(StatusResponse.Error(UnknownTicket))
                : TypedResults.Conflict(QueueStatusResponse.From(status, handles));
        }

        return reply.Outcome switch
        {
            OrderOutcome.Unreachable => TypedResults.Json(
                StatusResponse.Error("The order service did not answer; your place is kept, trying again", TimeSpan.FromSeconds(2)),
                statusCode: StatusCodes.Status502BadGateway),
            // A token must bypass the rate bucket; a 302 means the API did not take it — try again shortly.
            OrderOutcome.RateLimited => TypedResults.Json(
                StatusResponse.Error("The order service is busy; trying again", TimeSpan.FromSeconds(1)),
                statusCode: StatusCodes.Status503ServiceUnavailable),
            _ => new ApiPassthroughResult(reply),
        };
    }

    public static async Task<Results<Ok<AdmissionResponse>, Conflict<QueueStatusResponse>, BadRequest<StatusResponse>,
        NotFound<StatusResponse>, JsonHttpResult<StatusResponse>>> AdmitAsync(
        string productId, string ticket, AdmissionRequest? request, HttpContext context, ShopperSignIn signIn, TicketHandles handles,
        OrderHandOff handOff, ReturnUrlPolicy returnUrls)
    {
        var credential = await signIn.AuthenticateAsync(context);
        if (credential.IsRefused)
        {
            return Unauthenticated(credential, context.Response);
        }
        if (InputRules.CheckProductId(productId) is { } problem)
        {
            return TypedResults.BadRequest(StatusResponse.Error(problem));
        }
        if (!returnUrls.IsAllowed(request?.ReturnUrl))
        {
            return TypedResults.BadRequest(StatusResponse.Error("returnUrl must be an absolute http(s) URL on an allowed host"));
        }
        if (!handles.TryRead(productId, ticket, out var number))
        {
            return TypedResults.NotFound(StatusResponse.Error(UnknownTicket));
        }

        var (status, admission) = await handOff.AdmitAsync(productId, number);
        if (admission is null)
        {
            return status.State == QueueState.UnknownTicket
                ? TypedResults.NotFound(StatusResponse.Error(UnknownTicket))
                : TypedResults.Conflict(QueueStatusResponse.From(status, handles));
        }

        return TypedResults.Ok(new AdmissionResponse(
            admission.Token, admission.ExpiresAt, ReturnUrlPolicy.WithToken(request!.ReturnUrl!, admission.Token)));
    }

    /// <summary>401 for a missing (where required) or invalid shopper token, with the <c>WWW-Authenticate</c> challenge.</summary>
    private static JsonHttpResult<StatusResponse> Unauthenticated(ShopperCredential credential, HttpResponse response)
    {
        response.Headers.WWWAuthenticate = credential.Challenge;
        return TypedResults.Json(StatusResponse.Error(credential.Problem!), statusCode: StatusCodes.Status401Unauthorized);
    }

    private static JsonHttpResult<StatusResponse> Forbidden(string message) =>
        TypedResults.Json(StatusResponse.Error(message), statusCode: StatusCodes.Status403Forbidden);
}
