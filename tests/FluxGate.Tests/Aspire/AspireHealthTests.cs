using System.Net;
using System.Text.Json;
using Aspire.Hosting.Testing;

namespace FluxGate.Tests.Aspire;

/// <summary>Under Aspire, each service is up and wired: its /health reports every dependency Healthy.</summary>
[Collection(AspireGraphCollection.Name)]
public sealed class AspireHealthTests(AspireGraphFixture graph)
{
    public static TheoryData<string, string[]> DependenciesOfEachService => new()
    {
        { "api", ["redis", "kafka", "fluxgate"] },
        { "persister", ["kafka", "fluxgate"] },
        { "waitingroom", ["redis"] },
    };

    [Theory]
    [MemberData(nameof(DependenciesOfEachService))]
    public async Task Health_reports_each_dependency_healthy(string service, string[] dependencies)
    {
        using var http = graph.App.CreateHttpClient(service);

        using var response = await http.GetAsync("/health");
        var body = await response.Content.ReadAsStringAsync();

        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{service} /health answered {(int)response.StatusCode}: {body}");
        using var report = JsonDocument.Parse(body);
        Assert.Equal("Healthy", report.RootElement.GetProperty("status").GetString());
        var checks = report.RootElement.GetProperty("checks");
        foreach (var dependency in dependencies)
        {
            Assert.True(checks.TryGetProperty(dependency, out var check), $"{service} /health has no '{dependency}' check: {body}");
            Assert.Equal("Healthy", check.GetProperty("status").GetString());
        }
    }
}
