using FluxGate.Persister.Consuming;
using FluxGate.Persister.Diagnostics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Xunit.Abstractions;

namespace FluxGate.Tests.Persister;

/// <summary>
/// The persister's real services (consumer, writer, migrator) in a host inside the test process, against real
/// servers: lets a test run several group members at once and read their state. The end-to-end tests run the
/// persister as its own process.
/// </summary>
public sealed class InProcessPersister : IAsyncDisposable
{
    private readonly IHost _host;

    private InProcessPersister(IHost host) => _host = host;

    public ConsumerLoopState State => _host.Services.GetRequiredService<ConsumerLoopState>();

    public PersisterMetrics Metrics => _host.Services.GetRequiredService<PersisterMetrics>();

    public static async Task<InProcessPersister> StartAsync(
        string kafka, string postgres, ITestOutputHelper output, string name, IDictionary<string, string?>? settings = null)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { EnvironmentName = "Development" });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:kafka"] = kafka,
            ["ConnectionStrings:fluxgate"] = postgres,
            ["Persister:BatchTimeoutMs"] = "20",
            ["Persister:RetryMaxDelayMs"] = "1000",
        });
        if (settings is not null)
        {
            builder.Configuration.AddInMemoryCollection(settings);
        }
        builder.Logging.ClearProviders();
        builder.Logging.AddProvider(new TestOutputLoggerProvider(output, name));
        builder.Logging.SetMinimumLevel(LogLevel.Information);
        builder.Logging.AddFilter("Npgsql", LogLevel.Warning);
        builder.AddApplicationServices();

        var host = builder.Build();
        await host.StartAsync();
        return new InProcessPersister(host);
    }

    public async ValueTask DisposeAsync()
    {
        await _host.StopAsync(TimeSpan.FromSeconds(30));
        _host.Dispose();
    }
}

internal sealed class TestOutputLoggerProvider(ITestOutputHelper output, string name) : ILoggerProvider
{
    public ILogger CreateLogger(string categoryName) => new TestOutputLogger(output, $"{name}] [{categoryName.Split('.')[^1]}");

    public void Dispose()
    {
    }

    private sealed class TestOutputLogger(ITestOutputHelper output, string prefix) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            try
            {
                output.WriteLine($"{DateTime.UtcNow:HH:mm:ss.fff} [{prefix}] {logLevel}: {formatter(state, exception)}{(exception is null ? "" : " — " + exception.Message)}");
            }
            catch (InvalidOperationException)
            {
                // Logged after the test finished: xunit no longer takes it.
            }
        }
    }
}
