using Microsoft.Extensions.Options;
using Xunit.Abstractions;

namespace FluxGate.Tests.Persister;

public sealed class PersisterStartupTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Invalid_settings_stop_the_start_with_the_setting_named()
    {
        var failure = await Assert.ThrowsAsync<OptionsValidationException>(() => InProcessPersister.StartAsync(
            "127.0.0.1:1", "Host=127.0.0.1;Port=1", output, "invalid",
            new Dictionary<string, string?> { ["Persister:BatchSize"] = "0", ["Persister:BatchTimeoutMs"] = "-5" }));

        Assert.Contains("Persister:BatchSize", failure.Message);
        Assert.Contains("Persister:BatchTimeoutMs", failure.Message);
    }
}
