using System.Text;
using FluxGate.Api.Inventory;
using FluxGate.Api.Redis;

namespace FluxGate.Tests.Api;

public class InitRequestTests
{
    [Fact]
    public void A_valid_body_parses()
    {
        var init = InitRequest.Parse("""{"productId":"iphone-15","quantity":100}"""u8, out var error);

        Assert.Null(error);
        Assert.Equal(new InitRequest("iphone-15", 100), init);
    }

    [Fact]
    public void Zero_is_a_valid_quantity()
    {
        Assert.Equal(0, InitRequest.Parse("""{"productId":"p","quantity":0}"""u8, out _)?.Quantity);
    }

    [Theory]
    [InlineData("""{"productId":"p","quantity":-1}""")]
    [InlineData("""{"productId":"p","quantity":1.5}""")]
    [InlineData("""{"productId":"p","quantity":"100"}""")]
    [InlineData("""{"productId":"p","quantity":2147483648}""")]
    [InlineData("""{"productId":"p","quantity":{"n":1}}""")]
    [InlineData("""{"productId":"p","quantity":null}""")]
    public void A_quantity_that_is_not_a_non_negative_integer_is_refused(string json)
    {
        Assert.Null(InitRequest.Parse(Encoding.UTF8.GetBytes(json), out var error));
        Assert.Equal(400, error!.StatusCode);
        Assert.StartsWith("quantity must be a non-negative integer", error.Message);
    }

    [Theory]
    [InlineData("""{"productId":"p"}""", "quantity is required")]
    [InlineData("""{"quantity":5}""", "productId is required")]
    [InlineData("""{"productId":5,"quantity":5}""", "productId must be a string")]
    public void Missing_or_mistyped_fields_are_named(string json, string expected)
    {
        Assert.Null(InitRequest.Parse(Encoding.UTF8.GetBytes(json), out var error));
        Assert.Equal(expected, error!.Message);
    }

    [Fact]
    public void A_purchase_limit_is_optional()
    {
        Assert.Null(InitRequest.Parse("""{"productId":"p","quantity":5}"""u8, out _)?.MaxPerCustomer);
        Assert.Equal(new InitRequest("p", 5, 2), InitRequest.Parse("""{"productId":"p","quantity":5,"maxPerCustomer":2}"""u8, out var error));
        Assert.Null(error);
    }

    [Theory]
    [InlineData("""{"productId":"p","quantity":5,"maxPerCustomer":0}""")]
    [InlineData("""{"productId":"p","quantity":5,"maxPerCustomer":-1}""")]
    [InlineData("""{"productId":"p","quantity":5,"maxPerCustomer":1.5}""")]
    [InlineData("""{"productId":"p","quantity":5,"maxPerCustomer":"2"}""")]
    [InlineData("""{"productId":"p","quantity":5,"maxPerCustomer":2147483648}""")]
    [InlineData("""{"productId":"p","quantity":5,"maxPerCustomer":[2]}""")]
    [InlineData("""{"productId":"p","quantity":5,"maxPerCustomer":null}""")]
    public void A_purchase_limit_that_is_not_a_positive_integer_is_refused(string json)
    {
        Assert.Null(InitRequest.Parse(Encoding.UTF8.GetBytes(json), out var error));
        Assert.Equal(400, error!.StatusCode);
        Assert.StartsWith("maxPerCustomer must be a positive integer", error.Message);
    }

    [Fact]
    public void Stock_buckets_are_optional_and_default_to_one()
    {
        Assert.Equal(1, InitRequest.Parse("""{"productId":"p","quantity":5}"""u8, out _)?.StockBuckets);
        Assert.Equal(new InitRequest("p", 5, null, 4), InitRequest.Parse("""{"productId":"p","quantity":5,"stockBuckets":4}"""u8, out var error));
        Assert.Null(error);
        Assert.Equal(16, InitRequest.Parse("""{"productId":"p","quantity":5,"stockBuckets":16}"""u8, out _)?.StockBuckets);
    }

    [Theory]
    [InlineData("""{"productId":"p","quantity":5,"stockBuckets":0}""")]
    [InlineData("""{"productId":"p","quantity":5,"stockBuckets":17}""")]
    [InlineData("""{"productId":"p","quantity":5,"stockBuckets":2.5}""")]
    [InlineData("""{"productId":"p","quantity":5,"stockBuckets":"2"}""")]
    [InlineData("""{"productId":"p","quantity":5,"stockBuckets":null}""")]
    public void Stock_buckets_outside_one_to_sixteen_are_refused(string json)
    {
        Assert.Null(InitRequest.Parse(Encoding.UTF8.GetBytes(json), out var error));
        Assert.Equal(400, error!.StatusCode);
        Assert.Equal("stockBuckets must be an integer from 1 to 16; leave it out for 1", error.Message);
    }

    [Fact]
    public void A_purchase_limit_needs_one_stock_bucket()
    {
        Assert.Null(InitRequest.Parse("""{"productId":"p","quantity":5,"maxPerCustomer":1,"stockBuckets":2}"""u8, out var error));
        Assert.Equal(400, error!.StatusCode);
        Assert.StartsWith("maxPerCustomer needs stockBuckets 1", error.Message);
        Assert.NotNull(InitRequest.Parse("""{"productId":"p","quantity":5,"maxPerCustomer":1,"stockBuckets":1}"""u8, out _));
    }
}
