using System.Net;
using FluxGate.Tests.Infrastructure;
using Microsoft.Playwright;
using Xunit.Abstractions;

namespace FluxGate.Tests.WaitingRoom;

/// <summary>
/// A shopper in a real headless Chromium: sent to the room by a real 302, watching the place in line count down,
/// ending on the order's result. Screenshots land in <see cref="ChromiumFixture.ResultsDirectory"/>.
/// </summary>
[Collection(GraphCollection.Name)]
public sealed class WaitingRoomBrowserTests(GraphFixture graph, ChromiumFixture chromium, ITestOutputHelper output)
    : IClassFixture<ChromiumFixture>
{
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(2);

    [Fact]
    public Task A_shopper_watches_their_place_count_down_and_ends_on_the_accepted_order() =>
        graph.WithLogsOnFailureAsync(output, async () =>
        {
            await using var shop = new ShopDriver(graph.App);
            var productId = await shop.NewProductAsync(10_000);
            await shop.BuildLineAsync(productId, 400);
            var flood = await shop.FloodUntilRedirectedAsync(productId, wanted: 1);
            var shopper = flood.Redirected[0];

            await using var context = await chromium.Browser.NewContextAsync(Phone());
            var page = await context.NewPageAsync();
            await page.GotoAsync(shopper.Location.ToString());

            var seen = await WatchAsync(page, until: view => view is "success" or "error" or "soldout");
            await page.ScreenshotAsync(new PageScreenshotOptions { Path = Screenshot("waitingroom.png"), FullPage = true });

            Assert.Equal("success", seen.FinalView);
            var positions = seen.Positions;
            Assert.True(positions.Distinct().Count() >= 2, $"the position never moved: {string.Join(", ", positions)}");
            Assert.Equal(positions.OrderDescending(), positions);
            Assert.Contains("ticket=", page.Url);
            var orderId = (await page.Locator("#order-id").TextContentAsync())!;
            Assert.True(Guid.TryParse(orderId, out _), $"order id '{orderId}'");
            Assert.Contains(orderId, await page.Locator("#announce").TextContentAsync());
            Assert.True(await page.Locator("#h-success").IsVisibleAsync());

            // Exactly once: the API knows the shopper's key as that order.
            var again = await shop.OrderAsync(productId, shopper.UserId, shopper.IdempotencyKey);
            Assert.Equal(HttpStatusCode.OK, again.Status);
            Assert.Equal("ignored", again.Field("status"));
            Assert.Equal(orderId, again.Field("orderId"));
            Assert.Equal(10_000 - flood.Accepted - 1, await shop.StockAsync(productId));
            output.WriteLine($"positions seen: {string.Join(" → ", positions)}; order {orderId}");
        });

    [Fact]
    public Task Without_javascript_meta_refresh_moves_the_shopper_through_the_line_to_the_order() =>
        graph.WithLogsOnFailureAsync(output, async () =>
        {
            await using var shop = new ShopDriver(graph.App);
            var productId = await shop.NewProductAsync(10_000);
            await shop.BuildLineAsync(productId, 200);
            var shopper = (await shop.FloodUntilRedirectedAsync(productId, wanted: 1)).Redirected[0];

            await using var context = await chromium.Browser.NewContextAsync(new BrowserNewContextOptions
            {
                ViewportSize = new ViewportSize { Width = 1280, Height = 800 },
                JavaScriptEnabled = false,
                Locale = "en-US",
            });
            var page = await context.NewPageAsync();
            var addresses = new List<string>();
            page.FrameNavigated += (_, frame) =>
            {
                if (frame == page.MainFrame)
                {
                    lock (addresses)
                    {
                        addresses.Add(frame.Url);
                    }
                }
            };
            await page.GotoAsync(shopper.Location.ToString());

            var seen = await WatchAsync(page, until: view => view is "success" or "error" or "soldout");
            await page.ScreenshotAsync(new PageScreenshotOptions { Path = Screenshot("waitingroom-nojs.png"), FullPage = true });

            Assert.Equal("success", seen.FinalView);
            Assert.True(seen.Positions.Count >= 1 && seen.Positions[0] > 1, $"positions: {string.Join(", ", seen.Positions)}");
            Assert.Equal(seen.Positions.OrderDescending(), seen.Positions);
            lock (addresses)
            {
                Assert.True(addresses.Count(url => url.Contains("nojs=1", StringComparison.Ordinal)) >= 1,
                    $"no meta refresh was followed: {string.Join(" | ", addresses)}");
            }
            var orderId = (await page.Locator("#order-id").TextContentAsync())!;
            Assert.True(Guid.TryParse(orderId, out _), $"order id '{orderId}'");
            var again = await shop.OrderAsync(productId, shopper.UserId, shopper.IdempotencyKey);
            Assert.Equal(orderId, again.Field("orderId"));
            output.WriteLine($"{addresses.Count} page loads; positions seen: {string.Join(" → ", seen.Positions)}; order {orderId}");
        });

    [Fact]
    public Task Shoppers_in_line_learn_at_once_when_the_product_sells_out() =>
        graph.WithLogsOnFailureAsync(output, async () =>
        {
            await using var shop = new ShopDriver(graph.App);
            var productId = await shop.NewProductAsync(10_000);
            await shop.BuildLineAsync(productId, 1000);
            var shopper = (await shop.FloodUntilRedirectedAsync(productId, wanted: 1)).Redirected[0];

            await using var context = await chromium.Browser.NewContextAsync(Phone());
            var page = await context.NewPageAsync();
            await page.GotoAsync(shopper.Location.ToString());
            Assert.Equal("waiting", await page.Locator("body").GetAttributeAsync("data-view"));
            await page.ScreenshotAsync(new PageScreenshotOptions { Path = Screenshot("waitingroom-waiting.png"), FullPage = true });

            await shop.SetStockAsync(productId, 0);

            var seen = await WatchAsync(page, until: view => view != "waiting");
            Assert.Equal("soldout", seen.FinalView);
            Assert.True(await page.Locator("#h-soldout").IsVisibleAsync());
            await page.ScreenshotAsync(new PageScreenshotOptions { Path = Screenshot("waitingroom-soldout.png"), FullPage = true });
        });

    [Fact]
    public Task A_shopper_without_order_details_is_sent_back_to_the_shop_with_a_token_that_the_api_takes() =>
        graph.WithLogsOnFailureAsync(output, async () =>
        {
            await using var shop = new ShopDriver(graph.App);
            var productId = await shop.NewProductAsync(100);
            await shop.BuildLineAsync(productId, 100);
            // A closed port: the test only needs to see where the browser is sent.
            var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            var port = ((IPEndPoint)listener.LocalEndpoint).Port;
            listener.Stop();
            var checkout = $"http://localhost:{port}/checkout?cart=42";

            await using var context = await chromium.Browser.NewContextAsync(Phone());
            var page = await context.NewPageAsync();
            var backToShop = page.WaitForRequestAsync(request => request.Url.StartsWith($"http://localhost:{port}/checkout", StringComparison.Ordinal),
                new PageWaitForRequestOptions { Timeout = (float)Patience.TotalMilliseconds });
            await page.GotoAsync(new Uri(shop.RoomUrl, $"/?productId={productId}&returnUrl={Uri.EscapeDataString(checkout)}").ToString());
            Assert.Equal("waiting", await page.Locator("body").GetAttributeAsync("data-view"));

            var request = await backToShop;

            var query = Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(new Uri(request.Url).Query);
            Assert.Equal("42", query["cart"]);
            var order = await shop.OrderAsync(productId, "grace", Guid.NewGuid().ToString(), query["admissionToken"]);
            Assert.True(order.Status == HttpStatusCode.OK, order.ToString());
        });

    [Fact]
    public Task Before_a_scheduled_start_the_shopper_sees_a_countdown_then_a_drawn_place_in_line_then_the_order() =>
        graph.WithLogsOnFailureAsync(output, async () =>
        {
            await using var shop = new ShopDriver(graph.App);
            var productId = $"drop-{Guid.NewGuid():N}"[..24];
            var startsAt = DateTimeOffset.UtcNow.AddSeconds(12);
            await shop.InitAsync(productId, 10_000, startsAt);
            var idempotencyKey = Guid.NewGuid().ToString();
            var order = await shop.OrderAsync(productId, "browser-shopper", idempotencyKey);
            Assert.Equal(HttpStatusCode.Redirect, order.Status);

            await using var context = await chromium.Browser.NewContextAsync(Phone());
            var page = await context.NewPageAsync();
            await page.GotoAsync(order.Location!.ToString());
            Assert.Equal("upcoming", await page.Locator("body").GetAttributeAsync("data-view"));
            // Others join the pre-queue after the shopper: a random draw puts the shopper among them, not first.
            for (var i = 0; i < 300; i++)
            {
                await shop.JoinAsync(productId, $"crowd-{i}", $"key-{i}");
            }
            var countdown = (await page.Locator("#countdown").TextContentAsync())!;
            Assert.Matches(@"^\d+ s$", countdown);
            await page.ScreenshotAsync(new PageScreenshotOptions { Path = Screenshot("waitingroom-countdown.png"), FullPage = true });

            var seen = await WatchAsync(page, until: view => view is "waiting" or "ordering" or "success" or "error");
            Assert.True(DateTimeOffset.UtcNow >= startsAt, "the page left the countdown before the start");
            if (seen.FinalView == "waiting")
            {
                await page.ScreenshotAsync(new PageScreenshotOptions { Path = Screenshot("waitingroom-drawn-place.png"), FullPage = true });
            }
            var end = await WatchAsync(page, until: view => view is "success" or "error" or "soldout");
            Assert.Equal("success", end.FinalView);
            output.WriteLine($"countdown {countdown}; places after the draw: {string.Join(" → ", seen.Positions.Concat(end.Positions))}");
        });

    private static BrowserNewContextOptions Phone() => new()
    {
        ViewportSize = new ViewportSize { Width = 390, Height = 844 },
        DeviceScaleFactor = 2,
        IsMobile = true,
        HasTouch = true,
        Locale = "en-US",
    };

    private string Screenshot(string name)
    {
        var path = Path.Combine(ChromiumFixture.ResultsDirectory, name);
        output.WriteLine($"screenshot: {path}");
        return path;
    }

    /// <summary>
    /// Reads the page every 100 ms (across its own reloads when JavaScript is off) until <paramref name="until"/> holds
    /// for the shown view, recording each new place in line.
    /// </summary>
    private static async Task<Observed> WatchAsync(IPage page, Func<string, bool> until)
    {
        var positions = new List<long>();
        var deadline = DateTime.UtcNow + Patience;
        while (true)
        {
            string? view = null;
            try
            {
                view = await page.Locator("body").GetAttributeAsync("data-view", new LocatorGetAttributeOptions { Timeout = 10_000 });
                if (view == "waiting")
                {
                    var text = await page.Locator("#position").TextContentAsync(new LocatorTextContentOptions { Timeout = 10_000 });
                    var position = long.Parse(text!.Replace(",", "", StringComparison.Ordinal), System.Globalization.CultureInfo.InvariantCulture);
                    if (positions.Count == 0 || positions[^1] != position)
                    {
                        positions.Add(position);
                    }
                }
            }
            catch (PlaywrightException)
            {
                // The page was navigating (meta refresh): read it again.
            }
            if (view is not null && until(view))
            {
                return new Observed(view, positions);
            }
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"The page stayed on '{view}'; positions seen: {string.Join(", ", positions)}. {await page.ContentAsync()}");
            }
            await Task.Delay(100);
        }
    }

    private sealed record Observed(string FinalView, List<long> Positions);
}
