using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace FluxGate.WaitingRoom.Page;

/// <summary>Turns a <see cref="PageModel"/> into the page's HTML: every value encoded for where it lands.</summary>
public sealed class PageRenderer(PageTemplate template)
{
    private static readonly HtmlEncoder Html = HtmlEncoder.Default;

    /// <summary>What the page says (and the script announces) when the shop answers 409 limit_reached.</summary>
    public const string LimitReachedAnnouncement = "Purchase limit reached. You already have as many of this product as one customer may buy.";

    public string Render(PageModel model, string nonce)
    {
        var status = model.Status;
        var values = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["nonce"] = nonce,
            ["view"] = ViewName(model.View),
            ["title"] = Html.Encode(Title(model)),
            ["productId"] = Html.Encode(model.Address.ProductId),
            ["hidden:productLine"] = model.Address.ProductId.Length == 0 ? " hidden" : "",
            ["announce"] = Html.Encode(Announcement(model)),
            ["position"] = Number(status?.Position ?? 0),
            ["ahead"] = Number(status?.PeopleAhead ?? 0),
            ["wait"] = Html.Encode(status?.EstimatedWait ?? ""),
            ["nowServing"] = Number(status?.NowServing ?? 0),
            ["ticketNumber"] = Number(status?.TicketNumber ?? 0),
            ["countdown"] = Html.Encode(status?.StartsAt is { } opens ? Countdown(opens - DateTimeOffset.UtcNow) : ""),
            ["startsAt"] = Html.Encode(status?.StartsAt?.UtcDateTime.ToString("O", CultureInfo.InvariantCulture) ?? ""),
            ["startsAtText"] = Html.Encode(status?.StartsAt?.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture) ?? ""),
            ["preQueue"] = Number(status?.PreQueue ?? 0),
            ["progress"] = Progress(model).ToString(CultureInfo.InvariantCulture),
            ["orderId"] = Html.Encode(model.OrderId ?? ""),
            ["orderingMsg"] = Html.Encode(model.OrderingMessage),
            ["admittedMsg"] = Html.Encode(model.AdmittedMessage),
            ["admittedUrl"] = Html.Encode(model.AdmittedUrl ?? "#"),
            ["hidden:admittedLink"] = model.AdmittedUrl is null ? " hidden" : "",
            ["errorTitle"] = Html.Encode(model.ErrorTitle),
            ["errorMsg"] = Html.Encode(model.ErrorMessage),
            ["selfUrl"] = Html.Encode(model.Address.Url()),
            ["metaRefresh"] = MetaRefresh(model),
            ["stateJson"] = JsonSerializer.Serialize(State(model), PageJsonContext.Default.PageState),
        };
        foreach (var view in Enum.GetValues<PageView>())
        {
            values[$"hidden:{ViewName(view)}"] = view == model.View ? "" : " hidden";
        }
        return template.Render(values);
    }

    public static string ViewName(PageView view) => view.ToString().ToLowerInvariant();

    /// <summary>Share of the line already behind the shopper since they joined (0–100).</summary>
    public static int Progress(PageModel model)
    {
        var position = model.Status?.Position ?? 0;
        var from = model.Address.From;
        return from <= 0 || position <= 0 ? (model.View == PageView.Waiting ? 0 : 100)
            : (int)Math.Clamp(Math.Round(100.0 * (from - position) / from), 0, 100);
    }

    private static string Title(PageModel model) => model.View switch
    {
        PageView.Entrance => "Welcome",
        PageView.Upcoming => $"Opens in {Countdown(model.Status?.StartsAt - DateTimeOffset.UtcNow)}",
        PageView.Waiting => $"#{model.Status?.Position ?? 0} in line",
        PageView.Ordering => "It's your turn",
        PageView.Success => "Order accepted",
        PageView.SoldOut => "Sold out",
        PageView.LimitReached => "Purchase limit reached",
        PageView.NotOnSale => "Not on sale",
        PageView.Admitted => "You're through",
        _ => model.ErrorTitle,
    };

    private static string Announcement(PageModel model) => model.View switch
    {
        PageView.Entrance => "This is the FluxGate waiting room. You are not in a line. Go back to the shop to place your order.",
        PageView.Upcoming => $"The sale opens in {Countdown(model.Status?.StartsAt - DateTimeOffset.UtcNow)}. You are in the pre-queue.",
        PageView.Waiting => $"You are number {model.Status?.Position ?? 0} in line. Estimated wait: {model.Status?.EstimatedWait}.",
        PageView.Ordering => "It's your turn. Placing your order.",
        PageView.Success => $"Order accepted. Your order number is {model.OrderId}.",
        PageView.SoldOut => "Sold out. There is no need to keep waiting.",
        PageView.LimitReached => LimitReachedAnnouncement,
        PageView.NotOnSale => "This product is not on sale.",
        PageView.Admitted => model.AdmittedMessage,
        _ => $"{model.ErrorTitle}. {model.ErrorMessage}",
    };

    private static string MetaRefresh(PageModel model)
    {
        if (model.Refresh is not { } delay || model.RefreshUrl is null)
        {
            return "";
        }
        var seconds = (int)Math.Ceiling(delay.TotalSeconds);
        // Inside <noscript>: only a browser without JavaScript follows it; the script polls instead.
        return $"<noscript><meta http-equiv=\"refresh\" content=\"{seconds};url={Html.Encode(model.RefreshUrl)}\"></noscript>";
    }

    private static PageState State(PageModel model) => new(
        model.Address.ProductId,
        model.Address.UserId,
        model.Address.IdempotencyKey,
        model.Address.ReturnUrl,
        model.Address.Ticket,
        model.Address.From,
        ViewName(model.View),
        (long)model.RetryAfter.TotalMilliseconds,
        model.Status?.StartsAt);

    /// <summary>The time left before a sale opens, as the countdown shows it ("1 h 04 min", "3 min 05 s", "42 s").</summary>
    public static string Countdown(TimeSpan? left)
    {
        var seconds = (long)Math.Ceiling(Math.Max(0, left?.TotalSeconds ?? 0));
        return seconds switch
        {
            >= 3600 => $"{seconds / 3600} h {seconds % 3600 / 60:00} min",
            >= 60 => $"{seconds / 60} min {seconds % 60:00} s",
            _ => $"{seconds} s",
        };
    }

    private static string Number(long value) => value.ToString("N0", CultureInfo.InvariantCulture);
}
