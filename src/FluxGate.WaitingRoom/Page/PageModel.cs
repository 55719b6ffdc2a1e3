using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using FluxGate.WaitingRoom.Apis;

namespace FluxGate.WaitingRoom.Page;

/// <summary>The page's views; exactly one is shown. The names are the <c>data-view</c> values the script uses.</summary>
public enum PageView
{
    /// <summary>A scheduled sale's pre-queue: the countdown to its start.</summary>
    Upcoming,
    Waiting,
    Ordering,
    Success,
    SoldOut,
    /// <summary>The shop refused the order: the shopper holds as many units as one customer may buy.</summary>
    LimitReached,
    NotOnSale,
    Admitted,
    Error,
    /// <summary>The bare address, without a product: where the shopper is and how to get back to the shop.</summary>
    Entrance,
}

/// <summary>
/// The page's address: what the 302 carried plus the ticket once there is one. Links and the no-script refresh
/// point back here, so a refresh always returns to the same place in line.
/// </summary>
public sealed record PageAddress(string ProductId, string? UserId, string? IdempotencyKey, string? ReturnUrl, string? Ticket, long From)
{
    public string Url(bool noScript = false, int attempt = 0)
    {
        var query = new List<KeyValuePair<string, string?>> { new("productId", ProductId) };
        Add("userId", UserId);
        Add("idempotencyKey", IdempotencyKey);
        Add("returnUrl", ReturnUrl);
        Add("ticket", Ticket);
        Add("from", From > 0 ? From.ToString(CultureInfo.InvariantCulture) : null);
        Add("nojs", noScript ? "1" : null);
        Add("attempt", attempt > 0 ? attempt.ToString(CultureInfo.InvariantCulture) : null);
        return "/" + Microsoft.AspNetCore.Http.QueryString.Create(query);

        void Add(string name, string? value)
        {
            if (!string.IsNullOrEmpty(value))
            {
                query.Add(new(name, value));
            }
        }
    }
}

/// <summary>Everything one rendering of the page shows.</summary>
public sealed record PageModel(PageView View, PageAddress Address)
{
    public int StatusCode { get; init; } = StatusCodes.Status200OK;
    public QueueStatusResponse? Status { get; init; }
    public string? OrderId { get; init; }
    public string OrderingMessage { get; init; } = "Placing your order…";
    public string AdmittedMessage { get; init; } = "It's your turn: go back to the shop to place your order now.";
    public string? AdmittedUrl { get; init; }
    public string ErrorTitle { get; init; } = "Something went wrong";
    public string ErrorMessage { get; init; } = "";

    /// <summary>When set, a browser without JavaScript reloads <see cref="RefreshUrl"/> after this long.</summary>
    public TimeSpan? Refresh { get; init; }
    public string? RefreshUrl { get; init; }

    /// <summary>When the script should act next (poll, or reload after an outage).</summary>
    public TimeSpan RetryAfter { get; init; }
}

/// <summary>What the script needs to carry on from the server-rendered state.</summary>
public sealed record PageState(
    string ProductId, string? UserId, string? IdempotencyKey, string? ReturnUrl, string? Ticket, long From, string View, long RetryAfterMs,
    DateTimeOffset? StartsAt);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(PageState))]
internal sealed partial class PageJsonContext : JsonSerializerContext;
