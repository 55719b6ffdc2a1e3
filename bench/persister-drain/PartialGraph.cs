using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace FluxGate.Bench;

/// <summary>
/// Part of FluxGate.AppHost's graph for the drain bench: the AppHost's own Program (AppHost.cs), started in this process
/// through <see cref="DistributedApplicationTestingBuilder"/> as the tests do, with resources left out (a persister
/// without the api), which the AppHost's command line cannot say. Otherwise as the bench runs the AppHost
/// (<c>--no-dashboard --no-otlp --local</c>); resource output goes to <see cref="ForwardLogs"/>.
/// </summary>
public static class PartialGraph
{
    private const string EndpointsFileType = "FluxGate.AppHost.Hosting.EndpointsFile";

    /// <param name="args">AppHost switches (<c>--FluxGate:…=…</c>, <c>--ConnectionStrings:…=…</c>); they come after the defaults.</param>
    /// <param name="without">Resources to leave out (with their children), e.g. the api for a persister-only graph; then no
    /// endpoints.json is written.</param>
    public static async Task<IDistributedApplicationTestingBuilder> CreateBuilderAsync(string[] args, IReadOnlyCollection<string> without,
        CancellationToken cancellationToken)
    {
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.FluxGate_AppHost>(
            [
                "--FluxGate:BackingServices=Local",
                "--DcpPublisher:RandomizePorts=false",
                "--FluxGate:Dashboard=false",
                "--FluxGate:OtlpExport=false",
                .. args,
            ],
            (options, _) =>
            {
                options.DisableDashboard = true;
                options.EnableResourceLogging = false;
            },
            cancellationToken);

        foreach (var resource in builder.Resources.Where(resource => without.Contains(resource.Name) || HasParentIn(resource, without)).ToList())
        {
            builder.Resources.Remove(resource);
        }
        if (without.Count > 0)
        {
            // The AppHost's endpoints.json writer waits for all three services and fails the host when one is missing.
            foreach (var endpointsFile in builder.Services.Where(service => service.ImplementationType?.FullName == EndpointsFileType).ToList())
            {
                builder.Services.Remove(endpointsFile);
            }
        }
        return builder;
    }

    /// <summary>Every line each resource (each replica, each restart) writes, until <paramref name="stopping"/>.</summary>
    public static void ForwardLogs(DistributedApplication app, Action<string, string, bool> write, CancellationToken stopping)
    {
        var logs = app.Services.GetRequiredService<ResourceLoggerService>();
        // Log streams are keyed by the orchestrator's instance name (e.g. api-x7k2…), which a resource gets when it starts.
        _ = Task.Run(async () =>
        {
            var watched = new HashSet<string>();
            try
            {
                await foreach (var resourceEvent in app.ResourceNotifications.WatchAsync(stopping))
                {
                    if (watched.Add(resourceEvent.ResourceId))
                    {
                        _ = Task.Run(() => ForwardAsync(logs, resourceEvent.ResourceId, resourceEvent.Resource.Name, write, stopping), CancellationToken.None);
                    }
                }
            }
            catch (OperationCanceledException)
            {
            }
        }, CancellationToken.None);
    }

    private static async Task ForwardAsync(ResourceLoggerService logs, string resourceId, string name, Action<string, string, bool> write,
        CancellationToken stopping)
    {
        try
        {
            await foreach (var batch in logs.WatchAsync(resourceId).WithCancellation(stopping))
            {
                foreach (var line in batch)
                {
                    write(name, line.Content, line.IsErrorMessage);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>
    /// Starts the application and waits until each of <paramref name="ready"/> is healthy. Fails as soon as a resource
    /// fails to start or exits with an error (a resource that waits for it would otherwise wait for ever), and after
    /// <paramref name="timeout"/>.
    /// </summary>
    public static async Task StartAsync(DistributedApplication app, IEnumerable<string> ready, TimeSpan timeout,
        CancellationToken cancellationToken)
    {
        using var startup = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        startup.CancelAfter(timeout);
        string? failure = null;
        var watcher = Task.Run(async () =>
        {
            try
            {
                await foreach (var resource in app.ResourceNotifications.WatchAsync(startup.Token))
                {
                    var snapshot = resource.Snapshot;
                    if (snapshot.State?.Text == KnownResourceStates.FailedToStart || snapshot.ExitCode is { } code && code != 0)
                    {
                        failure = $"{resource.Resource.Name} {snapshot.State?.Text ?? "stopped"} (exit code {snapshot.ExitCode?.ToString() ?? "none"})";
                        await startup.CancelAsync();
                        return;
                    }
                }
            }
            catch (OperationCanceledException)
            {
            }
        }, CancellationToken.None);
        try
        {
            await app.StartAsync(startup.Token);
            // With the dashboard off, Aspire's default wait behaviour is StopOnResourceUnavailable: a resource that fails
            // or exits ends the wait with an exception instead of waiting for a restart from the dashboard.
            await Task.WhenAll(ready.Select(name =>
                app.ResourceNotifications.WaitForResourceHealthyAsync(name, WaitBehavior.StopOnResourceUnavailable, startup.Token)));
        }
        catch (Exception exception) when (failure is not null)
        {
            throw new DistributedApplicationException($"The graph did not come up: {failure}.", exception);
        }
        catch (OperationCanceledException exception) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"The graph did not come up within {timeout}.", exception);
        }
        finally
        {
            await startup.CancelAsync();
            await watcher;
        }
    }

    /// <summary>The repository root (the folder of FluxGate.sln) above this program.</summary>
    public static string RepositoryRoot
    {
        get
        {
            for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
            {
                if (File.Exists(Path.Combine(folder.FullName, "FluxGate.sln")))
                {
                    return folder.FullName;
                }
            }
            throw new InvalidOperationException($"No FluxGate.sln above {AppContext.BaseDirectory}.");
        }
    }

    /// <summary>One line per entry; no health-check failures (every probe before a service is up logs one, with a stack).</summary>
    public static ILoggingBuilder AddOneLineConsole(this ILoggingBuilder logging) =>
        logging
            .AddSimpleConsole(options =>
            {
                options.SingleLine = true;
                options.TimestampFormat = "HH:mm:ss.fff ";
            })
            .AddFilter("Microsoft.Extensions.Diagnostics.HealthChecks", LogLevel.None);

    private static bool HasParentIn(IResource resource, IReadOnlyCollection<string> names) =>
        resource is IResourceWithParent { Parent: var parent } && (names.Contains(parent.Name) || HasParentIn(parent, names))
        || resource.Annotations.OfType<ResourceRelationshipAnnotation>()
            .Any(relation => relation.Type == "Parent" && names.Contains(relation.Resource.Name));
}
