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

    [Theory]
    [InlineData("253402300800000")] // 10000-01-01
    [InlineData("9223372036854775807")] // long.MaxValue
    [InlineData("99999999999999999999")] // no long at all
    public void A_signed_expiry_beyond_year_9999_is_a_malformed_token_not_an_exception(string expiresAtUnixMs)
    {
        var token = SignPayload($"ps5|1|{expiresAtUnixMs}");

        Assert.False(AdmissionToken.TryVerify(token, Key, Now, out _, out var error));
        Assert.Equal("Malformed admission token", error);
    }

    [Fact]
    public void Any_signed_payload_is_verified_or_refused_never_thrown()
    {
        var random = new Random(9);
        for (var i = 0; i < 2_000; i++)
        {
            var expiry = random.Next(4) switch
            {
                0 => random.NextInt64().ToString(System.Globalization.CultureInfo.InvariantCulture),
                1 => (253402300799999 + random.Next(-2, 3)).ToString(System.Globalization.CultureInfo.InvariantCulture),
                2 => "-" + random.Next(),
                _ => new string('9', random.Next(1, 40)),
            };
            var token = SignPayload($"ps5|{random.NextInt64()}|{expiry}");

            var verified = AdmissionToken.TryVerify(token, Key, Now, out var admission, out var error);

            Assert.True(verified ? admission is not null : error is not null, $"{expiry}: {error}");
        }
    }

    private static string SignPayload(string payload)
    {
        var bytes = System.Text.Encoding.UTF8.GetBytes(payload);
        return $"{System.Buffers.Text.Base64Url.EncodeToString(bytes)}.{System.Buffers.Text.Base64Url.EncodeToString(HMACSHA256.HashData(Key, bytes))}";
    }
}
