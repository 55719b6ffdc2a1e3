using FluxGate.Persister;
using Microsoft.Extensions.Options;

namespace FluxGate.Tests.Persister;

public sealed class PersisterOptionsTests
{
    [Fact]
    public void The_defaults_are_valid()
    {
        var options = new PersisterOptions();

        Assert.True(Validate(options).Succeeded);
        Assert.Equal("fluxgate-persister", options.GroupId);
        Assert.Equal("orders", options.Topic);
    }

    [Theory]
    [InlineData(nameof(PersisterOptions.BatchSize), 0, "Persister:BatchSize")]
    [InlineData(nameof(PersisterOptions.BatchSize), 100_001, "Persister:BatchSize")]
    [InlineData(nameof(PersisterOptions.BatchTimeoutMs), 0, "Persister:BatchTimeoutMs")]
    [InlineData(nameof(PersisterOptions.RetryInitialDelayMs), 0, "Persister:RetryInitialDelayMs")]
    [InlineData(nameof(PersisterOptions.RetryMaxDelayMs), 50, "Persister:RetryMaxDelayMs")]
    [InlineData(nameof(PersisterOptions.SessionTimeoutMs), 10, "Persister:SessionTimeoutMs")]
    public void Out_of_range_numbers_fail_with_the_setting_named(string property, int value, string named)
    {
        var options = new PersisterOptions();
        typeof(PersisterOptions).GetProperty(property)!.SetValue(options, value);

        var result = Validate(options);

        Assert.True(result.Failed);
        Assert.Contains(named, result.FailureMessage);
    }

    [Fact]
    public void An_empty_group_or_topic_fails()
    {
        var result = Validate(new PersisterOptions { GroupId = " ", Topic = "" });

        Assert.Contains("Persister:GroupId", result.FailureMessage);
        Assert.Contains("Persister:Topic", result.FailureMessage);
    }

    private static ValidateOptionsResult Validate(PersisterOptions options) =>
        new PersisterOptionsValidator().Validate(Options.DefaultName, options);
}
