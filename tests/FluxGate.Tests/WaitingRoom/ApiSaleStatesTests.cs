using System.Net;
using System.Text;
using FluxGate.WaitingRoom.Ordering;
using FluxGate.WaitingRoom.Queue;
using Microsoft.Extensions.Logging.Abstractions;

namespace FluxGate.Tests.WaitingRoom;

/// <summary>The room learns a sale's state from the api's <c>GET /inventory</c>, asked at most once per half second per product.</summary>
public sealed class ApiSaleStatesTests
{
    [Fact]
    public async Task The_apis_inventory_answer_says_whether_a_line_may_form()
    {
        var api = new StubApi();
        var sales = Sales(api, new ManualClock());
        api.Answer("p-open", HttpStatusCode.OK, """{"productId":"p-open","stock":3}""");
        api.Answer("p-gone", HttpStatusCode.OK, """{"productId":"p-gone","stock":0}""");
        api.Answer("p-none", HttpStatusCode.NotFound, """{"status":"not_found"}""");

        Assert.Equal(SaleState.Open, (await sales.GetAsync("p-open")).State);
        Assert.Equal(SaleState.SoldOut, (await sales.GetAsync("p-gone")).State);
        Assert.Equal(SaleState.NotOnSale, (await sales.GetAsync("p-none")).State);
    }

    [Fact]
    public async Task A_scheduled_sale_carries_its_start()
    {
        var api = new StubApi();
        var sales = Sales(api, new ManualClock());
        api.Answer("p", HttpStatusCode.OK, """{"productId":"p","stock":3,"startsAt":"2026-12-24T10:00:00Z"}""");

        Assert.Equal(new Sale(SaleState.Open, new DateTimeOffset(2026, 12, 24, 10, 0, 0, TimeSpan.Zero)), await sales.GetAsync("p"));
    }

    [Fact]
    public async Task Many_shoppers_at_once_cost_one_question_and_the_answer_is_asked_again_once_stale()
    {
        var api = new StubApi();
        var clock = new ManualClock();
        var sales = Sales(api, clock);
        api.Answer("p", HttpStatusCode.OK, """{"productId":"p","stock":3}""");

        var states = await Task.WhenAll(Enumerable.Range(0, 50).Select(_ => sales.GetAsync("p").AsTask()));
        Assert.All(states, state => Assert.Equal(SaleState.Open, state.State));
        Assert.Equal(1, api.Asked("p"));

        api.Answer("p", HttpStatusCode.OK, """{"productId":"p","stock":0}""");
        Assert.Equal(SaleState.Open, (await sales.GetAsync("p")).State);
        clock.Advance(ApiSaleStates.FreshFor);
        Assert.Equal(SaleState.SoldOut, (await sales.GetAsync("p")).State);
        Assert.Equal(2, api.Asked("p"));
    }

    [Fact]
    public async Task While_the_api_is_silent_the_last_state_it_gave_holds()
    {
        var api = new StubApi();
        var clock = new ManualClock();
        var sales = Sales(api, clock);
        api.Answer("p", HttpStatusCode.OK, """{"productId":"p","stock":0}""");
        Assert.Equal(SaleState.SoldOut, (await sales.GetAsync("p")).State);

        api.Answer("p", HttpStatusCode.ServiceUnavailable, """{"status":"error","msg":"Inventory unavailable"}""");
        clock.Advance(ApiSaleStates.FreshFor);
        Assert.Equal(SaleState.SoldOut, (await sales.GetAsync("p")).State);
        // A product the room never heard of counts as open: the hand-off of its order will say what the api thinks.
        api.Answer("never-heard-of", HttpStatusCode.ServiceUnavailable, """{"status":"error","msg":"Inventory unavailable"}""");
        Assert.Equal(SaleState.Open, (await sales.GetAsync("never-heard-of")).State);
    }

    [Fact]
    public async Task Made_up_products_grow_no_cache_beyond_its_bound()
    {
        var api = new StubApi();
        var clock = new ManualClock();
        var sales = Sales(api, clock);
        for (var i = 0; i < ApiSaleStates.MaxProducts + 50; i++)
        {
            Assert.Equal(SaleState.NotOnSale, (await sales.GetAsync($"made-up-{i}")).State);
        }
        Assert.Equal(ApiSaleStates.MaxProducts + 50, api.AskedInAll);

        clock.Advance(ApiSaleStates.FreshFor);
        api.Answer("p", HttpStatusCode.OK, """{"productId":"p","stock":1}""");
        Assert.Equal(SaleState.Open, (await sales.GetAsync("p")).State); // the stale entries made room
        Assert.Equal(SaleState.Open, (await sales.GetAsync("p")).State);
        Assert.Equal(1, api.Asked("p"));
    }

    private static ApiSaleStates Sales(StubApi api, TimeProvider clock) =>
        new(new OrderApiClient(new HttpClient(api) { BaseAddress = new Uri("http://api") }, NullLogger<OrderApiClient>.Instance),
            clock, NullLogger<ApiSaleStates>.Instance);

    private sealed class StubApi : HttpMessageHandler
    {
        private readonly Dictionary<string, (HttpStatusCode Status, string Body)> _answers = [];
        private readonly Dictionary<string, int> _asked = [];

        public void Answer(string productId, HttpStatusCode status, string body)
        {
            lock (_answers)
            {
                _answers[productId] = (status, body);
            }
        }

        public int AskedInAll
        {
            get
            {
                lock (_answers)
                {
                    return _asked.Values.Sum();
                }
            }
        }

        public int Asked(string productId)
        {
            lock (_answers)
            {
                return _asked.GetValueOrDefault(productId);
            }
        }

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            await Task.Yield();
            if (request.RequestUri!.AbsolutePath.StartsWith("/inventory/p", StringComparison.Ordinal))
            {
                await Task.Delay(20, cancellationToken); // long enough for the other shoppers to arrive while it is asked
            }
            var productId = request.RequestUri!.AbsolutePath["/inventory/".Length..];
            (HttpStatusCode Status, string Body) answer;
            lock (_answers)
            {
                _asked[productId] = _asked.GetValueOrDefault(productId) + 1;
                answer = _answers.GetValueOrDefault(productId, (HttpStatusCode.NotFound, "{}"));
            }
            return new HttpResponseMessage(answer.Status) { Content = new StringContent(answer.Body, Encoding.UTF8, "application/json") };
        }
    }

    private sealed class ManualClock : TimeProvider
    {
        private DateTimeOffset _now = new(2026, 12, 7, 10, 0, 0, TimeSpan.Zero);

        public void Advance(TimeSpan by) => _now += by;

        public override DateTimeOffset GetUtcNow() => _now;
    }
}
