using System.Security.Cryptography;
using FluxGate.Contracts;

namespace FluxGate.Tests.Contracts;

public class AdmissionTokenTests
{
    private static readonly byte[] Key = RandomNumberGenerator.GetBytes(32);
    private static readonly DateTimeOffset Now = new(2026, 11, 24, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void A_signed_token_verifies_and_carries_product_ticket_and_expiry()
    {
        var token = new AdmissionToken("ps5", 42, Now.AddSeconds(30)).Sign(Key);

        Assert.True(AdmissionToken.TryVerify(token, Key, Now, out var admission, out _));
        Assert.Equal(new AdmissionToken("ps5", 42, Now.AddSeconds(30)), admission);
    }

    [Fact]
    public void An_expired_token_is_refused()
    {
        var token = new AdmissionToken("ps5", 1, Now).Sign(Key);

        Assert.False(AdmissionToken.TryVerify(token, Key, Now, out _, out var error));
        Assert.Equal("Admission token expired", error);
    }

    [Fact]
    public void A_token_signed_with_another_key_is_refused()
    {
        var token = new AdmissionToken("ps5", 1, Now.AddMinutes(1)).Sign(RandomNumberGenerator.GetBytes(32));

        Assert.False(AdmissionToken.TryVerify(token, Key, Now, out _, out var error));
        Assert.Equal("Invalid admission token signature", error);
    }

    [Fact]
    public void A_token_whose_payload_was_edited_is_refused()
    {
        var token = new AdmissionToken("ps5", 1, Now.AddMinutes(1)).Sign(Key);
        var forgedPayload = new AdmissionToken("ps5", 2, Now.AddMinutes(1)).Sign(Key).Split('.')[0];

        Assert.False(AdmissionToken.TryVerify($"{forgedPayload}.{token.Split('.')[1]}", Key, Now, out _, out _));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("no-dot")]
    [InlineData(".sig")]
    [InlineData("payload.")]
    [InlineData("!!!.???")]
    public void Malformed_tokens_are_refused(string? token)
    {
        Assert.False(AdmissionToken.TryVerify(token, Key, Now, out _, out var error));
        Assert.NotNull(error);
    }
}
