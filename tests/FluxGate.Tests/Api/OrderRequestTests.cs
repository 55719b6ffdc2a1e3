using System.Text;
using FluxGate.Api.Orders;

namespace FluxGate.Tests.Api;

public class OrderRequestTests
{
    private static OrderRequest? Parse(string json, out string? error)
    {
        var request = OrderRequest.Parse(Encoding.UTF8.GetBytes(json), out var apiError);
        error = apiError?.Message;
        if (apiError is not null)
        {
            Assert.Equal(400, apiError.StatusCode);
        }
        return request;
    }

    [Fact]
    public void A_valid_body_parses_and_unknown_fields_are_ignored()
    {
        var request = Parse("""{"productId":"iphone-15","extra":{"a":[1,2]},"userId":"user-12345"}""", out var error);

        Assert.Null(error);
        Assert.Equal(new OrderRequest("iphone-15", "user-12345"), request);
    }

    [Theory]
    [InlineData("""{"userId":"u"}""", "productId is required")]
    [InlineData("""{"productId":"p"}""", "userId is required")]
    [InlineData("""{"productId":"","userId":"u"}""", "productId is required")]
    [InlineData("""{"productId":123,"userId":"u"}""", "productId must be a string")]
    [InlineData("""{"productId":"p","userId":null}""", "userId must be a string")]
    [InlineData("""{"productId":"p","userId":["u"]}""", "userId must be a string")]
    [InlineData("""{"productId":"p{x}","userId":"u"}""", "productId may contain only letters, digits and . _ : -")]
    [InlineData("""{"productId":"p","userId":"a\u0001b"}""", "userId must not contain control characters")]
    [InlineData("""[1,2]""", "Request body must be a JSON object")]
    [InlineData("\"text\"", "Request body must be a JSON object")]
    [InlineData("{\"productId\":\"p\",\"userId\":\"u\"", "Request body is not valid JSON")]
    [InlineData("""{"productId":"p","userId":"u"} trailing""", "Request body is not valid JSON")]
    [InlineData("""{productId:"p"}""", "Request body is not valid JSON")]
    public void Invalid_bodies_say_what_is_wrong(string json, string expected)
    {
        Assert.Null(Parse(json, out var error));
        Assert.Equal(expected, error);
    }

    [Fact]
    public void Ids_over_their_length_limits_are_refused()
    {
        Assert.Null(Parse($$"""{"productId":"{{new string('p', 65)}}","userId":"u"}""", out var productError));
        Assert.Equal("productId must be at most 64 characters", productError);

        Assert.Null(Parse($$"""{"productId":"p","userId":"{{new string('u', 129)}}"}""", out var userError));
        Assert.Equal("userId must be at most 128 characters", userError);

        Assert.NotNull(Parse($$"""{"productId":"{{new string('p', 64)}}","userId":"{{new string('u', 128)}}"}""", out _));
    }
}
