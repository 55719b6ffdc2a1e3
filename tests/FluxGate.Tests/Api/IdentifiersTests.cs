using FluxGate.Api.Http;

namespace FluxGate.Tests.Api;

public class IdentifiersTests
{
    [Theory]
    [InlineData("550e8400-e29b-41d4-a716-446655440000")]
    [InlineData("a")]
    [InlineData("key_with.symbols~!@#$%^&*()")]
    public void Printable_ascii_keys_are_accepted(string key)
    {
        Assert.Null(Identifiers.CheckIdempotencyKey(key));
    }

    [Theory]
    [InlineData("has space")]
    [InlineData("tab\there")]
    [InlineData("ünïcode")]
    public void Keys_with_spaces_controls_or_non_ascii_are_refused(string key)
    {
        Assert.Equal("Invalid Idempotency Key: printable ASCII only, no spaces", Identifiers.CheckIdempotencyKey(key));
    }

    [Fact]
    public void Keys_longer_than_128_characters_are_refused()
    {
        Assert.Null(Identifiers.CheckIdempotencyKey(new string('k', 128)));
        Assert.Equal("Invalid Idempotency Key: at most 128 characters", Identifiers.CheckIdempotencyKey(new string('k', 129)));
    }
}
