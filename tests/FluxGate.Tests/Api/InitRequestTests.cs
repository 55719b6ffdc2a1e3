namespace FluxGate.Tests.Api;

/// <summary><c>POST /init</c>'s body as the api binds it (<see cref="RequestBodyServer"/>).</summary>
public class InitRequestTests(RequestBodyServer server) : IClassFixture<RequestBodyServer>
{
    private Task<RequestBodyServer.Answer> Init(string json) => server.PostAsync("/init", json);

    [Fact]
    public async Task A_valid_body_binds()
    {
        var answer = await Init("""{"productId":"iphone-15","quantity":100}""");

        Assert.Equal(200, answer.Status);
        Assert.Equal("iphone-15", answer.Body.GetProperty("productId").GetString());
        Assert.Equal(100, answer.Body.GetProperty("quantity").GetInt32());
    }

    [Fact]
    public async Task Zero_is_a_valid_quantity()
    {
        Assert.Equal(0, (await Init("""{"productId":"p","quantity":0}""")).Body.GetProperty("quantity").GetInt32());
    }

    [Theory]
    [InlineData("""{"productId":"p","quantity":-1}""")]
    [InlineData("""{"productId":"p","quantity":1.5}""")]
    [InlineData("""{"productId":"p","quantity":"100"}""")]
    [InlineData("""{"productId":"p","quantity":2147483648}""")]
    [InlineData("""{"productId":"p","quantity":{"n":1}}""")]
    [InlineData("""{"productId":"p","quantity":null}""")]
    public async Task A_quantity_that_is_not_a_non_negative_integer_is_refused(string json)
    {
        var answer = await Init(json);

        Assert.Equal(400, answer.Status);
        Assert.Equal("quantity must be a non-negative integer (at most 2147483647)", answer.Error);
    }

    [Theory]
    [InlineData("""{"productId":"p"}""", "quantity is required")]
    [InlineData("""{"quantity":5}""", "productId is required")]
    [InlineData("""{"productId":5,"quantity":5}""", "productId must be a string")]
    public async Task Missing_or_mistyped_fields_are_named(string json, string expected)
    {
        Assert.Equal(expected, (await Init(json)).Error);
    }

    [Fact]
    public async Task A_purchase_limit_is_optional()
    {
        Assert.Equal(System.Text.Json.JsonValueKind.Null, (await Init("""{"productId":"p","quantity":5}""")).Body.GetProperty("maxPerCustomer").ValueKind);
        Assert.Equal(2, (await Init("""{"productId":"p","quantity":5,"maxPerCustomer":2}""")).Body.GetProperty("maxPerCustomer").GetInt32());
    }

    [Theory]
    [InlineData("""{"productId":"p","quantity":5,"maxPerCustomer":0}""")]
    [InlineData("""{"productId":"p","quantity":5,"maxPerCustomer":-1}""")]
    [InlineData("""{"productId":"p","quantity":5,"maxPerCustomer":1.5}""")]
    [InlineData("""{"productId":"p","quantity":5,"maxPerCustomer":"2"}""")]
    [InlineData("""{"productId":"p","quantity":5,"maxPerCustomer":2147483648}""")]
    [InlineData("""{"productId":"p","quantity":5,"maxPerCustomer":[2]}""")]
    [InlineData("""{"productId":"p","quantity":5,"maxPerCustomer":null}""")]
    public async Task A_purchase_limit_that_is_not_a_positive_integer_is_refused(string json)
    {
        var answer = await Init(json);

        Assert.Equal(400, answer.Status);
        Assert.Equal("maxPerCustomer must be a positive integer (at most 2147483647); leave it out for no limit", answer.Error);
    }

    [Fact]
    public async Task Stock_buckets_are_optional()
    {
        Assert.Equal(System.Text.Json.JsonValueKind.Null, (await Init("""{"productId":"p","quantity":5}""")).Body.GetProperty("stockBuckets").ValueKind);
        Assert.Equal(4, (await Init("""{"productId":"p","quantity":5,"stockBuckets":4}""")).Body.GetProperty("stockBuckets").GetInt32());
        Assert.Equal(16, (await Init("""{"productId":"p","quantity":5,"stockBuckets":16}""")).Body.GetProperty("stockBuckets").GetInt32());
    }

    [Theory]
    [InlineData("""{"productId":"p","quantity":5,"stockBuckets":0}""")]
    [InlineData("""{"productId":"p","quantity":5,"stockBuckets":17}""")]
    [InlineData("""{"productId":"p","quantity":5,"stockBuckets":2.5}""")]
    [InlineData("""{"productId":"p","quantity":5,"stockBuckets":"2"}""")]
    [InlineData("""{"productId":"p","quantity":5,"stockBuckets":null}""")]
    public async Task Stock_buckets_outside_one_to_sixteen_are_refused(string json)
    {
        var answer = await Init(json);

        Assert.Equal(400, answer.Status);
        Assert.Equal("stockBuckets must be an integer from 1 to 16; leave it out for 1", answer.Error);
    }

    [Fact]
    public async Task A_purchase_limit_needs_one_stock_bucket()
    {
        var answer = await Init("""{"productId":"p","quantity":5,"maxPerCustomer":1,"stockBuckets":2}""");
        Assert.Equal(400, answer.Status);
        Assert.StartsWith("maxPerCustomer needs stockBuckets 1", answer.Error);

        Assert.Equal(200, (await Init("""{"productId":"p","quantity":5,"maxPerCustomer":1,"stockBuckets":1}""")).Status);
    }
}
