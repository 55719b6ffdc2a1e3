using System.Text.Json;
using FluxGate.Api.Http;
using FluxGate.Api.Options;
using FluxGate.Api.Orders;
using FluxGate.Contracts;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace FluxGate.Tests.Api;

/// <summary>The decision script's answers and how each becomes the spec's HTTP response.</summary>
public class OrderResultMappingTests
{
    private static readonly Guid OrderId = Guid.Parse("0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b");
    private static readonly WaitingRoomRedirect WaitingRoom =
        new(Microsoft.Extensions.Options.Options.Create(new WaitingRoomOptions { Url = new Uri("http://localhost:4000") }));

    [Theory]
    [InlineData(0, OrderDecisionKind.Reserved)]
    [InlineData(1, OrderDecisionKind.SoldOut)]
    [InlineData(2, OrderDecisionKind.RateLimited)]
    [InlineData(3, OrderDecisionKind.NotInitialized)]
    [InlineData(4, OrderDecisionKind.AdmissionAlreadyUsed)]
    [InlineData(5, OrderDecisionKind.LimitReached)]
    public void Script_codes_map_to_decisions(long code, OrderDecisionKind expected)
    {
        Assert.Equal(expected, OrderBatchCall.Interpret(RedisResult.Create(code), OrderId, "p").Kind);
    }

    [Fact]
    public void A_reservation_carries_the_new_order_id_and_its_bucket()
    {
        Assert.Equal(new OrderDecision(OrderDecisionKind.Reserved, OrderId, "p"), OrderBatchCall.Interpret(RedisResult.Create(0), OrderId, "p"));
    }

    [Theory]
    [InlineData('a', OrderDecisionKind.Duplicate)]
    [InlineData('p', OrderDecisionKind.InProgress)]
    public void A_held_key_returns_the_original_order(char state, OrderDecisionKind expected)
    {
        var held = RedisResult.Create((RedisValue)$"{state}:{OrderId:N}");

        Assert.Equal(new OrderDecision(expected, OrderId), OrderBatchCall.Interpret(held, Guid.NewGuid(), "p"));
    }

    [Theory]
    [InlineData(9L)]
    [InlineData("x:nonsense")]
    public void Unknown_script_answers_are_errors_not_guesses(object answer)
    {
        var result = answer is long code ? RedisResult.Create(code) : RedisResult.Create((RedisValue)(string)answer);

        Assert.Throws<InvalidOperationException>(() => OrderBatchCall.Interpret(result, OrderId, "p"));
    }

    [Theory]
    [InlineData(OrderOutcome.Accepted, 200, """{"status":"success","msg":"Order accepted","orderId":"0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"}""")]
    [InlineData(OrderOutcome.Duplicate, 200, """{"status":"ignored","msg":"Duplicate request","orderId":"0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"}""")]
    [InlineData(OrderOutcome.SoldOut, 409, """{"status":"sold_out","msg":"Inventory empty"}""")]
    [InlineData(OrderOutcome.Failed, 500, """{"status":"error","msg":"Order processing failed"}""")]
    [InlineData(OrderOutcome.AdmissionAlreadyUsed, 403, """{"status":"error","msg":"Admission token already used"}""")]
    [InlineData(OrderOutcome.LimitReached, 409, """{"status":"limit_reached","msg":"Purchase limit reached"}""")]
    public async Task Outcomes_become_the_spec_responses(OrderOutcome outcome, int status, string body)
    {
        var (actualStatus, actualBody, headers) = await ExecuteAsync(new OrderResult(outcome, OrderId));

        Assert.Equal(status, actualStatus);
        Assert.Equal(body, actualBody);
        Assert.Equal("application/json; charset=utf-8", headers.ContentType.ToString());
        Assert.Equal(System.Text.Encoding.UTF8.GetByteCount(body), headers.ContentLength);
    }

    [Fact]
    public async Task Each_answer_carries_its_own_order_id()
    {
        var other = Guid.Parse("0193a1b2-0000-7000-8000-ffffffffffff");

        var (_, first, _) = await ExecuteAsync(new OrderResult(OrderOutcome.Accepted, OrderId));
        var (_, second, _) = await ExecuteAsync(new OrderResult(OrderOutcome.Accepted, other));

        Assert.Equal(OrderId, JsonDocument.Parse(first).RootElement.GetProperty("orderId").GetGuid());
        Assert.Equal(other, JsonDocument.Parse(second).RootElement.GetProperty("orderId").GetGuid());
    }

    [Fact]
    public async Task In_progress_is_429_with_retry_after()
    {
        var (status, body, headers) = await ExecuteAsync(new OrderResult(OrderOutcome.InProgress, OrderId));

        Assert.Equal(429, status);
        Assert.Equal("1", headers.RetryAfter.ToString());
        Assert.Equal("in_progress", JsonDocument.Parse(body).RootElement.GetProperty("status").GetString());
    }

    [Fact]
    public async Task Rate_limited_redirects_to_the_waiting_room_with_what_it_needs()
    {
        var (status, _, headers) = await ExecuteAsync(new OrderResult(OrderOutcome.RateLimited));

        Assert.Equal(302, status);
        Assert.Equal("http://localhost:4000/?productId=ps5-disc&userId=user%2042&idempotencyKey=k%26y", headers.Location.ToString());
    }

    private static async Task<(int Status, string Body, IHeaderDictionary Headers)> ExecuteAsync(OrderResult result)
    {
        var context = new DefaultHttpContext
        {
            RequestServices = new ServiceCollection().AddLogging().AddSingleton<ILoggerFactory, LoggerFactory>().BuildServiceProvider(),
        };
        var body = new MemoryStream();
        context.Response.Body = body;

        var httpResult = ApiResults.ForOrder(result, context.Response, WaitingRoom, "ps5-disc", "user 42", "k&y");
        await ((IResult)httpResult).ExecuteAsync(context);

        return (context.Response.StatusCode, System.Text.Encoding.UTF8.GetString(body.ToArray()), context.Response.Headers);
    }
}
