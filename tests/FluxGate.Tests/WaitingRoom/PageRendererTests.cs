using System.Security.Cryptography;
using FluxGate.WaitingRoom.Apis;
using FluxGate.WaitingRoom.Page;
using FluxGate.WaitingRoom.Queue;

namespace FluxGate.Tests.WaitingRoom;

public class PageRendererTests
{
    private static readonly PageRenderer Renderer = new(PageTemplate.Load());
    private static readonly TicketHandles Handles = new(RandomNumberGenerator.GetBytes(32));

    private static QueueStatusResponse Waiting(long ticket, double serving) => QueueStatusResponse.From(
        TicketStatus.From("ps5", ticket, place: ticket, serving, issued: ticket, ratePerSecond: 10, rejoined: false,
            TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(30)), Handles);

    [Fact]
    public void The_waiting_view_shows_position_people_ahead_wait_and_is_the_only_view_shown()
    {
        var address = new PageAddress("ps5", "u1", "k1", null, "12.x", From: 20);
        var html = Renderer.Render(new PageModel(PageView.Waiting, address) { Status = Waiting(12, 2.5) }, "n0nce");

        Assert.Contains("<span class=\"position-number\" id=\"position\" aria-describedby=\"position-label\">10</span>", html);
        Assert.Contains("<dd id=\"ahead\">9</dd>", html);
        Assert.Contains("<dd id=\"wait\">a few seconds</dd>", html);
        Assert.Contains("<progress id=\"progress\" max=\"100\" value=\"50\">", html);
        Assert.Contains("<section data-view=\"waiting\" aria-labelledby", html);
        Assert.Contains("<section data-view=\"success\" hidden", html);
        Assert.Contains("role=\"status\" aria-live=\"polite\"", html);
        Assert.Contains("FluxGate</span> waiting room", html);
    }

    [Fact]
    public void Before_a_scheduled_start_the_page_counts_down_and_refreshes_itself_without_javascript()
    {
        var startsAt = DateTimeOffset.UtcNow.AddMinutes(2).AddSeconds(5);
        var status = QueueStatusResponse.From(
            TicketStatus.Upcoming("ps5", ticket: 7, preQueue: 1_234, startsAt, rejoined: false, maxPoll: TimeSpan.FromSeconds(30)), Handles);
        var address = new PageAddress("ps5", "u1", "k1", null, "7.x", From: 0);
        var html = Renderer.Render(new PageModel(PageView.Upcoming, address)
        {
            Status = status,
            Refresh = TimeSpan.FromSeconds(15),
            RefreshUrl = address.Url(noScript: true),
        }, "n0nce");

        Assert.Equal("upcoming", status.Status);
        Assert.Null(status.TicketNumber); // no place before the draw
        Assert.Contains("<section data-view=\"upcoming\" aria-labelledby", html);
        Assert.Contains("<section data-view=\"waiting\" hidden", html);
        Assert.Matches("""id="countdown" aria-describedby="countdown-label">2 min 0[45] s</span>""", html);
        Assert.Contains("<dd id=\"prequeue\">1,234</dd>", html);
        Assert.Contains("<noscript><meta http-equiv=\"refresh\" content=\"15;url=/?productId=ps5&amp;userId=u1&amp;idempotencyKey=k1&amp;ticket=7.x&amp;nojs=1\"></noscript>", html);
    }

    [Fact]
    public void The_entrance_says_where_the_shopper_is_and_shows_no_product()
    {
        var html = Renderer.Render(new PageModel(PageView.Entrance, new PageAddress("", null, null, null, null, 0)), "n0nce");

        Assert.Contains("<section data-view=\"entrance\" aria-labelledby", html);
        Assert.Contains("<section data-view=\"waiting\" hidden", html);
        Assert.Contains("<p class=\"product\" hidden>", html);
        Assert.Contains("This is the FluxGate waiting room", html);
        Assert.Contains("go back to the shop", html);
        Assert.Contains("<title>Welcome · FluxGate waiting room</title>", html);
    }

    [Fact]
    public void The_page_refers_to_nothing_outside_itself()
    {
        var html = Renderer.Render(new PageModel(PageView.Waiting, new PageAddress("ps5", null, null, null, null, 0)), "n0nce");

        Assert.DoesNotContain("src=\"http", html);
        Assert.DoesNotContain("href=\"http", html);
        Assert.DoesNotContain("@import", html);
        Assert.DoesNotContain("url(", html);
        Assert.Contains("<style nonce=\"n0nce\">", html);
        Assert.Contains("<script nonce=\"n0nce\">", html);
    }

    [Fact]
    public void Without_javascript_a_meta_refresh_leads_to_the_no_script_step_and_only_then()
    {
        var address = new PageAddress("ps5", "u1", "k1", null, "12.x", From: 20);
        var refreshing = Renderer.Render(new PageModel(PageView.Waiting, address)
        {
            Status = Waiting(12, 2.5),
            Refresh = TimeSpan.FromSeconds(2.2),
            RefreshUrl = address.Url(noScript: true),
        }, "n");
        var final = Renderer.Render(new PageModel(PageView.Success, address) { OrderId = "o-1" }, "n");

        Assert.Contains(
            "<noscript><meta http-equiv=\"refresh\" content=\"3;url=/?productId=ps5&amp;userId=u1&amp;idempotencyKey=k1&amp;ticket=12.x&amp;from=20&amp;nojs=1\"></noscript>",
            refreshing);
        Assert.DoesNotContain("http-equiv=\"refresh\"", final);
        Assert.Contains("<code id=\"order-id\">o-1</code>", final);
    }

    [Fact]
    public void Shopper_supplied_text_is_encoded_in_markup_and_in_the_script_state()
    {
        var address = new PageAddress("ps5", "</script><script>alert(1)</script>", "k\"1", null, null, 0);
        var html = Renderer.Render(new PageModel(PageView.Error, address) { ErrorMessage = "<b>bad</b>" }, "n");

        Assert.DoesNotContain("<script>alert(1)", html);
        Assert.DoesNotContain("<b>bad</b>", html);
        Assert.Contains("&lt;b&gt;bad&lt;/b&gt;", html);
        Assert.Contains("\\u003C/script\\u003E", html);
    }

    [Fact]
    public void A_purchase_limit_the_shop_reports_has_a_view_of_its_own()
    {
        var html = Renderer.Render(new PageModel(PageView.LimitReached, new PageAddress("ps5", "u1", "k1", null, "1.x", 0)), "n");

        Assert.Contains("<section data-view=\"limitreached\" aria-labelledby=\"h-limitreached\"", html);
        Assert.Contains("<title>Purchase limit reached", html);
        Assert.Contains("as many of <strong>ps5</strong> as one customer may buy", html);
        Assert.Contains("<section data-view=\"soldout\" hidden", html);
    }
}
