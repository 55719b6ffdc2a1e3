namespace FluxGate.AppHost.Hosting;

/// <summary>The graph without the dashboard and its telemetry (<c>--no-dashboard --no-otlp</c>): how the bench runs it.</summary>
public static class WithoutDashboardExtensions
{
    /// <summary>
    /// With no dashboard to show them, each resource's output goes to this console, a line each
    /// (<c>HH:mm:ss.fff info: FluxGate.AppHost.Resources.api[0] …</c>); every health probe before a service is up
    /// would log a failure with its stack, so those are left out.
    /// </summary>
    public static IDistributedApplicationBuilder WithResourceOutputOnConsole(this IDistributedApplicationBuilder builder)
    {
        builder.Services.AddLogging(logging => logging
            .AddSimpleConsole(console =>
            {
                console.SingleLine = true;
                console.TimestampFormat = "HH:mm:ss.fff ";
            })
            .AddFilter("Microsoft.Extensions.Diagnostics.HealthChecks", LogLevel.None));
        // Aspire lets the services colour their output for the dashboard; in a console log the colours are noise.
        builder.Eventing.Subscribe<BeforeStartEvent>((start, _) =>
        {
            foreach (var project in start.Model.Resources.OfType<ProjectResource>())
            {
                project.Annotations.Add(new EnvironmentCallbackAnnotation(environment =>
                    environment["Logging__Console__FormatterOptions__ColorBehavior"] = "Disabled"));
            }
            return Task.CompletedTask;
        });
        return builder;
    }

    /// <summary>
    /// Aspire gives every project <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> even without a dashboard, and the services record
    /// traces whenever it is set: without the annotation they get no <c>OTEL_*</c> variable and record nothing.
    /// </summary>
    public static void RemoveOtlpExport(this IDistributedApplicationBuilder builder)
    {
        foreach (var resource in builder.Resources)
        {
            foreach (var otlp in resource.Annotations.OfType<OtlpExporterAnnotation>().ToList())
            {
                resource.Annotations.Remove(otlp);
            }
        }
    }
}
