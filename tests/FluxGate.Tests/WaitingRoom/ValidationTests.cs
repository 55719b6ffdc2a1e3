using System.Security.Cryptography;
using FluxGate.ServiceDefaults.Authentication;
using FluxGate.WaitingRoom.Admission;
using FluxGate.WaitingRoom.Options;
using MsOptions = Microsoft.Extensions.Options.Options;

namespace FluxGate.Tests.WaitingRoom;

public class ValidationTests
{
    [Theory]
    [InlineData("http://localhost:8080/checkout?cart=1", true)]
    [InlineData("https://127.0.0.1/back", true)]
    [InlineData("https://evil.example/steal", false)]
    [InlineData("javascript:alert(1)", false)]
    [InlineData("/relative/path", false)]
    [InlineData("http://user:pw@localhost/", false)]
    [InlineData("", false)]
    [InlineData(null, false)]
    public void Only_allowed_hosts_may_receive_a_shopper_with_a_token(string? returnUrl, bool allowed)
    {
        var policy = new ReturnUrlPolicy(MsOptions.Create(new WaitingRoomOptions()));
        Assert.Equal(allowed, policy.IsAllowed(returnUrl));
    }

    [Fact]
    public void The_token_is_added_to_the_return_urls_query()
    {
        Assert.Equal("http://localhost/c?cart=1&admissionToken=a.b",
            ReturnUrlPolicy.WithToken("http://localhost/c?cart=1", "a.b"));
    }

    [Fact]
    public void The_signing_key_is_required_valid_base64_and_at_least_32_bytes()
    {
        var validator = new AdmissionOptionsValidator(keyRequired: true);

        Assert.Contains("missing", validator.Validate(null, new AdmissionOptions()).FailureMessage);
        Assert.Contains("base64", validator.Validate(null, new AdmissionOptions { SigningKey = "not base64!" }).FailureMessage);
        Assert.Contains("32 bytes", validator.Validate(null,
            new AdmissionOptions { SigningKey = Convert.ToBase64String(new byte[16]) }).FailureMessage);
        Assert.True(validator.Validate(null,
            new AdmissionOptions { SigningKey = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)) }).Succeeded);
        Assert.Contains("TokenLifetime", validator.Validate(null, new AdmissionOptions
        {
            SigningKey = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
            TokenLifetime = TimeSpan.FromHours(2),
        }).FailureMessage);
    }

    [Fact]
    public void The_admission_rate_must_be_positive_and_poll_bounds_ordered()
    {
        var validator = new WaitingRoomOptionsValidator();

        Assert.True(validator.Validate(null, new WaitingRoomOptions { AdmissionRatePerSecond = 50 }).Succeeded);
        Assert.Contains("AdmissionRatePerSecond", validator.Validate(null, new WaitingRoomOptions { AdmissionRatePerSecond = -1 }).FailureMessage);
        Assert.Contains("AdmissionRatePerSecond", validator.Validate(null, new WaitingRoomOptions { AdmissionRatePerSecond = double.NaN }).FailureMessage);
        Assert.Contains("MaxPollInterval", validator.Validate(null, new WaitingRoomOptions
        {
            AdmissionRatePerSecond = 50,
            MinPollInterval = TimeSpan.FromSeconds(5),
            MaxPollInterval = TimeSpan.FromSeconds(1),
        }).FailureMessage);
    }
}
