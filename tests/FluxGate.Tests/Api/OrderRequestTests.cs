using System.Text.Json;

namespace FluxGate.Tests.Api;

/// <summary><c>POST /order</c>'s body as the api reads it (<see cref="RequestBodyServer"/>), and what it shares with the bound ones.</summary>
public class OrderRequestTests(RequestBodyServer server) : IClassFixture<RequestBodyServer>
{
    [Fact]
    public async Task A_valid_body_binds_and_unknown_fields_are_ignored()
    {
        var answer = await server.PostAsync("/order", """{"productId":"iphone-15","extra":{"a":[1,2]},"userId":"user-12345"}""");

        Assert.Equal(200, answer.Status);
        Assert.Equal("iphone-15", answer.Body.GetProperty("productId").GetString());
        Assert.Equal("user-12345", answer.Body.GetProperty("userId").GetString());
    }

    [Fact]
    public async Task A_body_without_userId_is_left_to_the_handler_which_knows_who_signed_in()
    {
        var answer = await server.PostAsync("/order", """{"productId":"p"}""");

        Assert.Equal(200, answer.Status);
        Assert.Equal(JsonValueKind.Null, answer.Body.GetProperty("userId").ValueKind);
    }

    [Theory]
    [InlineData("""{"userId":"u"}""", "productId is required")]
    [InlineData("""{"PRODUCTID":"p","userId":"u"}""", "productId is required")]
    [InlineData("""{"productId":"","userId":"u"}""", "productId is required")]
    [InlineData("""{"productId":"p","userId":""}""", "userId is required")]
    [InlineData("""{"productId":123,"userId":"u"}""", "productId must be a string")]
    [InlineData("""{"productId":"p","userId":null}""", "userId must be a string")]
    [InlineData("""{"productId":"p","userId":["u"]}""", "userId must be a string")]
    [InlineData("""{"productId":"p{x}","userId":"u"}""", "productId may contain only letters, digits and . _ : -")]
    [InlineData("""{"productId":"p","userId":"a\u0001b"}""", "userId must not contain control characters")]
    [InlineData("""[1,2]""", "Request body must be a JSON object")]
    [InlineData("\"text\"", "Request body must be a JSON object")]
    [InlineData("null", "Request body must be a JSON object")]
    [InlineData("", "Request body is empty; send a JSON object")]
    [InlineData("{\"productId\":\"p\",\"userId\":\"u\"", "Request body is not valid JSON")]
    [InlineData("""{"productId":"p","userId":"u"} trailing""", "Request body is not valid JSON")]
    [InlineData("""{productId:"p"}""", "Request body is not valid JSON")]
    [InlineData("""{"productId":"p"/* a comment */,"userId":"u"}""", "Request body is not valid JSON")]
    [InlineData("""{"productId":"p","userId":"u","x":[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]}""", "Request body is not valid JSON")]
    public async Task Invalid_bodies_say_what_is_wrong(string json, string expected)
    {
        var answer = await server.PostAsync("/order", json);

        Assert.Equal(400, answer.Status);
        Assert.Equal(expected, answer.Error);
    }

    [Theory]
    [InlineData("/order", "")]
    [InlineData("/order", """{"productId":"p","userId":"u"}""")]
    [InlineData("/cancel", "")]
    [InlineData("/cancel", """{"userId":"u"}""")]
    public async Task A_body_streamed_without_a_length_is_read_the_same(string path, string json)
    {
        var answer = await server.PostAsync(path, System.Text.Encoding.UTF8.GetBytes(json), declareLength: false);

        Assert.Equal(json.Length == 0 ? "Request body is empty; send a JSON object" : null, answer.Error);
    }

    [Theory]
    [InlineData("/order", "text/plain")]
    [InlineData("/order", "application/x-www-form-urlencoded")]
    [InlineData("/order", null)]
    [InlineData("/cancel", "text/plain")]
    [InlineData("/cancel", null)]
    public async Task A_body_that_is_not_declared_json_is_a_415(string path, string? contentType)
    {
        var answer = await server.PostAsync(path, """{"productId":"p","userId":"u"}"""u8.ToArray(), contentType);

        Assert.Equal(415, answer.Status);
        Assert.Equal("Content-Type must be application/json", answer.Error);
    }

    [Fact]
    public async Task Ids_over_their_length_limits_are_refused()
    {
        var product = await server.PostAsync("/order", $$"""{"productId":"{{new string('p', 65)}}","userId":"u"}""");
        Assert.Equal("productId must be at most 64 characters", product.Error);

        var user = await server.PostAsync("/order", $$"""{"productId":"p","userId":"{{new string('u', 129)}}"}""");
        Assert.Equal("userId must be at most 128 characters", user.Error);

        Assert.Equal(200, (await server.PostAsync("/order", $$"""{"productId":"{{new string('p', 64)}}","userId":"{{new string('u', 128)}}"}""")).Status);
    }
}
