using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using FluxGate.Tests.Infrastructure;
using Microsoft.Playwright;
using Xunit.Abstractions;

namespace FluxGate.Tests.AppHost;

/// <summary>
/// The dashboard is the window on a running FluxGate: a shopper's order, followed in headless Chromium from the
/// resources page to its trace (api → Redis → Kafka → persister). Screenshots go to <c>FLUXGATE_SCREENSHOTS</c>
/// (the README's come from here: <c>FLUXGATE_SCREENSHOTS=$PWD/docs/images ./test.sh --filter DashboardTests</c>), else
/// to TestResults/.
/// </summary>
public sealed class DashboardTests(ChromiumFixture chromium, ITestOutputHelper output) : IClassFixture<ChromiumFixture>, IDisposable
{
    private static readonly string[] ServiceNames = ["api", "persister", "waitingroom", "redis", "kafka", "postgres", "fluxgate"];
    private readonly string _stateDirectory = TempFolder.Create("fluxgate-dashboard-");
    private AppHostProcess? _appHost;

    private static string ScreenshotDirectory => Directory.CreateDirectory(
        Environment.GetEnvironmentVariable("FLUXGATE_SCREENSHOTS") is { Length: > 0 } folder ? Path.GetFullPath(folder) : ChromiumFixture.ResultsDirectory).FullName;

    [Fact]
    public async Task The_resources_page_shows_the_graph_healthy_and_an_orders_trace_reaches_the_persister()
    {
        _appHost = AppHostProcess.Start(_stateDirectory);
        try
        {
            var endpoints = await _appHost.WaitUntilUpAsync();
            var traceId = await PlaceTracedOrderAsync(new Uri((string)endpoints["api"]!));

            await using var context = await chromium.Browser.NewContextAsync(new BrowserNewContextOptions
            {
                ViewportSize = new ViewportSize { Width = 1600, Height = 900 },
            });
            var page = await context.NewPageAsync();
            var dashboard = new Uri((string)endpoints["dashboard"]!);

            // The login link sets the dashboard's cookie and lands on the resources page.
            await page.GotoAsync(dashboard.ToString());
            foreach (var name in ServiceNames)
            {
                var row = page.GetByRole(AriaRole.Row).Filter(new LocatorFilterOptions
                {
                    Has = page.GetByText(name, new PageGetByTextOptions { Exact = true }),
                });
                await Assertions.Expect(row.First).ToContainTextAsync("Running", new LocatorAssertionsToContainTextOptions { Timeout = 30_000 });
            }
            await DismissBannersAsync(page);
            await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(ScreenshotDirectory, "dashboard-resources.png") });

            // The order's trace, once every service has exported its spans (batched, about once a second).
            var trace = new Uri(dashboard, $"/traces/detail/{traceId}").ToString();
            // The dashboard names messaging spans by system and destination ("MSG kafka orders"): the api's send,
            // then the persister's processing of the same event, in the same trace. The order's script call is named by
            // the command StackExchange.Redis traces it as: EVAL, sent as EVALSHA once the server has the script.
            foreach (var text in new[] { "POST /order", "EVAL", "kafka orders", "persister" })
            {
                await UntilVisibleAsync(page, trace, text);
            }
            await DismissBannersAsync(page);
            await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(ScreenshotDirectory, "dashboard-order-trace.png"), FullPage = true });
        }
        catch
        {
            output.WriteLine(_appHost.RecentOutput());
            throw;
        }
    }

    public void Dispose()
    {
        _appHost?.Dispose();
        try
        {
            Directory.Delete(_stateDirectory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    /// <summary>One order with a trace id of the test's own (W3C traceparent), so its trace can be opened directly.</summary>
    private static async Task<string> PlaceTracedOrderAsync(Uri api)
    {
        using var http = new HttpClient { BaseAddress = api };
        using (var init = await http.PostAsJsonAsync("/init", new { productId = "dashboard-demo", quantity = 10 }))
        {
            Assert.Equal(HttpStatusCode.OK, init.StatusCode);
        }
        var traceId = ActivityTraceId.CreateRandom().ToHexString();
        using var order = new HttpRequestMessage(HttpMethod.Post, "/order")
        {
            Content = JsonContent.Create(new { productId = "dashboard-demo", userId = "shopper-1" }),
            Headers =
            {
                { "x-idempotency-key", Guid.NewGuid().ToString() },
                { "traceparent", $"00-{traceId}-{ActivitySpanId.CreateRandom().ToHexString()}-01" },
            },
        };
        using var response = await http.SendAsync(order);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return traceId;
    }

    /// <summary>Closes the dashboard's notices (here: no trusted developer certificate, which the http profile does not need).</summary>
    private static async Task DismissBannersAsync(IPage page)
    {
        var close = page.GetByRole(AriaRole.Button, new PageGetByRoleOptions { Name = "Close" });
        while (await close.CountAsync() > 0 && await close.First.IsVisibleAsync())
        {
            await close.First.ClickAsync();
        }
    }

    private static async Task UntilVisibleAsync(IPage page, string url, string text)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (true)
        {
            await page.GotoAsync(url);
            try
            {
                await Assertions.Expect(page.GetByText(text).First).ToBeVisibleAsync(new() { Timeout = 5_000 });
                return;
            }
            catch (PlaywrightException) when (DateTime.UtcNow < deadline)
            {
            }
            catch (PlaywrightException)
            {
                await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(ChromiumFixture.ResultsDirectory, "dashboard-failed.png"), FullPage = true });
                throw;
            }
        }
    }
}
