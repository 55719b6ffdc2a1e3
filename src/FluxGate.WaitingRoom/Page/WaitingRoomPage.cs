using System.Security.Cryptography;
using FluxGate.Contracts;
using FluxGate.WaitingRoom.Admission;
using FluxGate.WaitingRoom.Apis;
using FluxGate.WaitingRoom.Options;
using FluxGate.WaitingRoom.Ordering;
using FluxGate.WaitingRoom.Queue;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace FluxGate.WaitingRoom.Page;

/// <summary>
/// <c>GET /</c>, the 302's target. The server does the work of every step and renders the state, so the page works
/// without JavaScript: it joins (or finds the ticket), shows the line, and — on the no-script path (<c>nojs=1</c>, set
/// by its own meta refresh) — places the order itself once served. With JavaScript the script takes over polling.
/// </summary>
public static class WaitingRoomPage
{
    /// <summary>Order attempts on the no-script path before the page stops refreshing and offers "Try again".</summary>
    public const int MaxOrderAttempts = 8;

    public static IEndpointRouteBuilder MapWaitingRoomPage(this IEndpointRouteBuilder app)
    {
        app.MapGet("/", RenderAsync).ExcludeFromDescription();
        return app;
    }

    public sealed record PageQuery(
        string? ProductId, string? UserId, string? IdempotencyKey, string? ReturnUrl, string? Ticket, string? From,
        string? NoJs, string? Attempt);

    public static async Task<Results<ContentHttpResult, RedirectHttpResult>> RenderAsync(
        HttpContext context,
        [AsParameters] PageQuery query,
        WaitingQueue queue,
        TicketHandles handles,
        OrderHandOff handOff,
        ReturnUrlPolicy returnUrls,
        PageRenderer renderer,
        IOptions<WaitingRoomOptions> options,
        CancellationToken cancellationToken)
    {
        if (IsBare(query))
        {
            // The spec's own Location (no query): nothing to queue for, but the shopper should learn where they are.
            return Html(context, renderer, new PageModel(PageView.Entrance, new PageAddress("", null, null, null, null, 0)));
        }
        var address = new PageAddress(query.ProductId?.Trim() ?? "", Blank(query.UserId), Blank(query.IdempotencyKey),
            Blank(query.ReturnUrl), Blank(query.Ticket), long.TryParse(query.From, out var from) && from > 0 ? from : 0);

        PageModel model;
        try
        {
            model = Invalid(address, returnUrls)
                    ?? await StepAsync(address, query.NoJs == "1", int.TryParse(query.Attempt, out var attempt) ? attempt : 0,
                        queue, handles, handOff, options.Value, cancellationToken);
        }
        catch (QueueUnavailableException)
        {
            model = new PageModel(PageView.Error, address)
            {
                StatusCode = StatusCodes.Status503ServiceUnavailable,
                ErrorTitle = "The waiting room is briefly unavailable",
                ErrorMessage = "Your place is kept. This page will try again in a few seconds.",
                Refresh = QueueUnavailableException.RetryAfter,
                RefreshUrl = address.Url(noScript: true),
                RetryAfter = QueueUnavailableException.RetryAfter,
            };
        }

        if (model is { View: PageView.Admitted, AdmittedUrl: { } shop } && query.NoJs == "1")
        {
            return TypedResults.Redirect(shop);
        }
        return Html(context, renderer, model);
    }

    private static PageModel? Invalid(PageAddress address, ReturnUrlPolicy returnUrls)
    {
        var problem = InputRules.CheckProductId(address.ProductId);
        if (problem is null && (address.UserId is not null || address.IdempotencyKey is not null))
        {
            problem = InputRules.CheckUserId(address.UserId) ?? InputRules.CheckIdempotencyKey(address.IdempotencyKey);
        }
        if (problem is null && address.ReturnUrl is not null && !returnUrls.IsAllowed(address.ReturnUrl))
        {
            problem = "the return address is not one this waiting room may send you to";
        }
        return problem is null ? null : new PageModel(PageView.Error, address)
        {
            StatusCode = StatusCodes.Status400BadRequest,
            ErrorTitle = "This link is incomplete",
            ErrorMessage = $"The waiting room could not read it: {problem}. Please go back to the shop and try again.",
        };
    }

    private static async Task<PageModel> StepAsync(
        PageAddress address, bool noScript, int attempt, WaitingQueue queue, TicketHandles handles, OrderHandOff handOff,
        WaitingRoomOptions options, CancellationToken cancellationToken)
    {
        var shopper = address is { UserId: { } userId, IdempotencyKey: { } key } ? new ShopperIdentity(userId, key) : null;

        TicketStatus? status = null;
        if (handles.TryRead(address.ProductId, address.Ticket, out var ticket))
        {
            status = await queue.GetStatusAsync(address.ProductId, ticket);
        }
        if (status is null or { State: QueueState.UnknownTicket })
        {
            status = await queue.JoinAsync(address.ProductId, shopper);
        }

        var response = QueueStatusResponse.From(status, handles);
        address = address with
        {
            Ticket = response.Ticket ?? address.Ticket,
            From = status.State == QueueState.Waiting ? Math.Max(address.From, status.Position) : address.From,
        };

        switch (status.State)
        {
            case QueueState.Upcoming:
                return new PageModel(PageView.Upcoming, address)
                {
                    Status = response,
                    // Without JavaScript the countdown moves by reloads: every few seconds near the start, else now and then.
                    Refresh = status.RetryAfter < TimeSpan.FromSeconds(1) ? TimeSpan.FromSeconds(1)
                        : status.RetryAfter > TimeSpan.FromSeconds(15) ? TimeSpan.FromSeconds(15) : status.RetryAfter,
                    RefreshUrl = address.Url(noScript: true),
                    RetryAfter = status.RetryAfter,
                };
            case QueueState.Waiting:
                var delay = QueueArithmetic.Jitter(status.RetryAfter, Random.Shared.NextDouble());
                return new PageModel(PageView.Waiting, address)
                {
                    Status = response,
                    Refresh = delay < TimeSpan.FromSeconds(1) ? TimeSpan.FromSeconds(1) : delay,
                    RefreshUrl = address.Url(noScript: true),
                    RetryAfter = status.RetryAfter,
                };
            case QueueState.SoldOut:
                return new PageModel(PageView.SoldOut, address) { Status = response };
            case QueueState.NotOnSale:
                return new PageModel(PageView.NotOnSale, address) { Status = response };
        }

        // Served.
        if (shopper is null)
        {
            if (address.ReturnUrl is null)
            {
                return new PageModel(PageView.Admitted, address) { Status = response };
            }
            if (!noScript)
            {
                return new PageModel(PageView.Admitted, address)
                {
                    Status = response,
                    AdmittedMessage = "Taking you back to the shop…",
                    Refresh = TimeSpan.Zero,
                    RefreshUrl = address.Url(noScript: true),
                };
            }
            var (_, admission) = await handOff.AdmitAsync(address.ProductId, status.Ticket);
            return admission is null
                ? new PageModel(PageView.Waiting, address) { Status = response, Refresh = TimeSpan.FromSeconds(1), RefreshUrl = address.Url(noScript: true) }
                : new PageModel(PageView.Admitted, address)
                {
                    Status = response,
                    AdmittedMessage = "Taking you back to the shop…",
                    AdmittedUrl = ReturnUrlPolicy.WithToken(address.ReturnUrl, admission.Token),
                };
        }

        if (!noScript)
        {
            // The script places the order; a browser without it follows the refresh to the no-script step.
            return new PageModel(PageView.Ordering, address)
            {
                Status = response,
                Refresh = TimeSpan.Zero,
                RefreshUrl = address.Url(noScript: true),
            };
        }

        var (_, reply) = await handOff.PlaceOrderAsync(address.ProductId, status.Ticket, shopper, shopperToken: null,
            cancellationToken); // the page is the browser's: it carries no bearer token
        return reply is null
            ? new PageModel(PageView.Waiting, address) { Status = response, Refresh = TimeSpan.FromSeconds(1), RefreshUrl = address.Url(noScript: true) }
            : OrderResult(address, response, reply, attempt, options);
    }

    private static PageModel OrderResult(
        PageAddress address, QueueStatusResponse status, ApiOrderReply reply, int attempt, WaitingRoomOptions options)
    {
        switch (reply.Outcome)
        {
            case OrderOutcome.Accepted or OrderOutcome.Duplicate:
                return new PageModel(PageView.Success, address) { Status = status, OrderId = reply.OrderId ?? "—" };
            case OrderOutcome.SoldOut:
                return new PageModel(PageView.SoldOut, address) { Status = status };
            case OrderOutcome.LimitReached:
                return new PageModel(PageView.LimitReached, address) { Status = status };
            case OrderOutcome.Refused or OrderOutcome.Invalid:
                return new PageModel(PageView.Error, address)
                {
                    Status = status,
                    ErrorTitle = "We could not place your order",
                    ErrorMessage = reply.Message ?? $"The shop answered {reply.StatusCode}.",
                };
        }

        if (attempt + 1 >= MaxOrderAttempts)
        {
            return new PageModel(PageView.Error, address)
            {
                Status = status,
                ErrorTitle = "We could not place your order",
                ErrorMessage = "The shop is not answering right now. Your place is kept: try again in a moment.",
            };
        }

        // Retryable: the same idempotency key again, after a growing pause.
        var delay = TimeSpan.FromSeconds(Math.Min(30, Math.Pow(2, attempt)));
        if (reply.RetryAfter is { } asked && asked > delay)
        {
            delay = asked;
        }
        return new PageModel(PageView.Ordering, address)
        {
            Status = status,
            OrderingMessage = "Still placing your order…",
            Refresh = delay < options.MinPollInterval ? options.MinPollInterval : delay,
            RefreshUrl = address.Url(noScript: true, attempt: attempt + 1),
        };
    }

    private static ContentHttpResult Html(HttpContext context, PageRenderer renderer, PageModel model)
    {
        var nonce = Convert.ToBase64String(RandomNumberGenerator.GetBytes(16));
        var headers = context.Response.Headers;
        headers.CacheControl = "no-store";
        headers.ContentSecurityPolicy =
            $"default-src 'none'; style-src 'nonce-{nonce}'; script-src 'nonce-{nonce}'; connect-src 'self'; img-src data:; " +
            "base-uri 'none'; form-action 'self'; frame-ancestors 'none'";
        headers.XContentTypeOptions = "nosniff";
        headers["Referrer-Policy"] = "no-referrer";
        return TypedResults.Content(renderer.Render(model, nonce), "text/html; charset=utf-8", statusCode: model.StatusCode);
    }

    private static bool IsBare(PageQuery query) =>
        new[] { query.ProductId, query.UserId, query.IdempotencyKey, query.ReturnUrl, query.Ticket, query.From, query.NoJs, query.Attempt }
            .All(string.IsNullOrWhiteSpace);

    private static string? Blank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value;
}
