using System.Security.Cryptography;
using FluxGate.Contracts;
using FluxGate.ServiceDefaults.Authentication;
using FluxGate.WaitingRoom.Admission;
using FluxGate.WaitingRoom.Options;
using MsOptions = Microsoft.Extensions.Options.Options;

namespace FluxGate.Tests.WaitingRoom;

public class AdmissionIssuerTests
{
    private static readonly byte[] Key = RandomNumberGenerator.GetBytes(32);
    private static readonly DateTimeOffset Now = new(2026, 11, 24, 12, 0, 0, TimeSpan.Zero);

    private static AdmissionIssuer Issuer(TimeProvider time, TimeSpan lifetime) => new(
        MsOptions.Create(new AdmissionOptions { SigningKey = Convert.ToBase64String(Key), TokenLifetime = lifetime }), time);

    [Fact]
    public void An_issued_token_names_product_and_ticket_and_verifies_with_the_shared_key()
    {
        var issued = Issuer(new FixedClock(Now), TimeSpan.FromSeconds(60)).Issue("ps5", 42);

        Assert.True(AdmissionToken.TryVerify(issued.Token, Key, Now, out var admission, out _));
        Assert.Equal(new AdmissionToken("ps5", 42, Now.AddSeconds(60)), admission);
        Assert.Equal(Now.AddSeconds(60), issued.ExpiresAt);
    }

    [Fact]
    public void A_token_expires_after_the_configured_lifetime()
    {
        var issued = Issuer(new FixedClock(Now), TimeSpan.FromSeconds(30)).Issue("ps5", 7);

        Assert.True(AdmissionToken.TryVerify(issued.Token, Key, Now.AddSeconds(29.999), out _, out _));
        Assert.False(AdmissionToken.TryVerify(issued.Token, Key, Now.AddSeconds(30), out _, out var error));
        Assert.Equal("Admission token expired", error);
    }

    [Fact]
    public void Each_token_is_stamped_with_the_time_it_is_issued()
    {
        var clock = new FixedClock(Now);
        var issuer = Issuer(clock, TimeSpan.FromSeconds(60));

        var first = issuer.Issue("ps5", 1);
        clock.Now = Now.AddMinutes(5);
        var second = issuer.Issue("ps5", 1);

        Assert.Equal(Now.AddSeconds(60), first.ExpiresAt);
        Assert.Equal(Now.AddMinutes(5).AddSeconds(60), second.ExpiresAt);
        Assert.False(AdmissionToken.TryVerify(first.Token, Key, clock.Now, out _, out _));
        Assert.True(AdmissionToken.TryVerify(second.Token, Key, clock.Now, out _, out _));
    }

    /// <summary>A clock the test sets: issuance is a pure function of the time it reads.</summary>
    private sealed class FixedClock(DateTimeOffset now) : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = now;

        public override DateTimeOffset GetUtcNow() => Now;
    }
}
