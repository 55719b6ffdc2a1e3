using System.Net;
using System.Text.Json;
using Xunit.Abstractions;

namespace FluxGate.Tests.Infrastructure;

/// <summary>Tests that share one running graph: <c>[Collection(GraphCollection.Name)]</c>. They run one after another.</summary>
[CollectionDefinition(Name)]
public sealed class GraphCollection : ICollectionFixture<GraphFixture>
{
    public const string Name = "graph";
}

/// <summary>
/// The whole FluxGate graph started once per test collection through the AppHost (<see cref="FluxGateGraph"/>).
/// Resource logs go to a buffer: <see cref="DumpLogs"/> or <see cref="WithLogsOnFailureAsync"/> show them for a failed test.
/// </summary>
public class GraphFixture : IAsyncLifetime
{
    private readonly GraphOptions? _options;

    public GraphFixture()
    {
    }

    /// <summary>For a fixture of another graph (e.g. <see cref="ClusterGraphFixture"/>): started with <paramref name="options"/>.</summary>
    protected GraphFixture(GraphOptions options) => _options = options;

    public FluxGateGraph App { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        App = await FluxGateGraph.StartAsync(_options);
    }

    public virtual async Task DisposeAsync()
    {
        if (App is not null)
        {
            await App.DisposeAsync();
        }
    }

    /// <summary>The last <paramref name="count"/> lines of every child, prefixed by resource.</summary>
    public string RecentLogs(int count = 300) => App.RecentLogs(count);

    public void DumpLogs(ITestOutputHelper output, int count = 300)
    {
        output.WriteLine("---- graph logs (most recent last) ----");
        output.WriteLine(RecentLogs(count));
    }

    /// <summary>Runs a test body; when it fails, the graph's recent logs go to the test output.</summary>
    public async Task WithLogsOnFailureAsync(ITestOutputHelper output, Func<Task> test)
    {
        try
        {
            await test();
        }
        catch
        {
            DumpLogs(output);
            throw;
        }
    }

    /// <summary>Polls until every service's <c>/health</c> is 200 (after a test stopped or killed something).</summary>
    public async Task WaitUntilHealthyAsync(TimeSpan? timeout = null)
    {
        foreach (var service in App.Services)
        {
            using var client = App.CreateHttpClient(service);
            await Eventually.UntilAsync(() => ReadHealthAsync(client), health => health.Status == HttpStatusCode.OK,
                $"{service} is healthy", timeout);
        }
    }

    /// <summary>A service's <c>/health</c>: status code and the JSON report (overall status, one entry per check).</summary>
    public static async Task<HealthReport> ReadHealthAsync(HttpClient client)
    {
        using var response = await client.GetAsync("/health");
        var body = await response.Content.ReadAsStringAsync();
        using var json = JsonDocument.Parse(body);
        var checks = json.RootElement.GetProperty("checks").EnumerateObject()
            .ToDictionary(check => check.Name, check => check.Value.GetProperty("status").GetString()!);
        return new HealthReport(response.StatusCode, json.RootElement.GetProperty("status").GetString()!, checks, body);
    }

    public sealed record HealthReport(HttpStatusCode Status, string OverallStatus, IReadOnlyDictionary<string, string> Checks, string Body)
    {
        public override string ToString() => $"{(int)Status} {Body}";
    }
}
