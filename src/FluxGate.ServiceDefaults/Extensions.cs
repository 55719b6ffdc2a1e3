using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// Service defaults shared by every FluxGate service: OpenTelemetry, health checks,
/// service discovery and HTTP resilience. Mirrors Aspire's ServiceDefaults template.
/// </summary>
public static class Extensions
{
    public const string HealthEndpointPath = "/health";
    public const string AlivenessEndpointPath = "/alive";

    /// <summary>Tag of the health checks that decide readiness (<c>/health</c>), i.e. dependencies.</summary>
    public const string ReadyTag = "ready";
    private const string LiveTag = "live";

    public static TBuilder AddServiceDefaults<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        builder.ConfigureOpenTelemetry();
        builder.AddDefaultHealthChecks();

        builder.Services.AddServiceDiscovery();
        builder.Services.ConfigureHttpClientDefaults(http =>
        {
            http.AddStandardResilienceHandler();
            http.AddServiceDiscovery();
        });

        return builder;
    }

    public static TBuilder ConfigureOpenTelemetry<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        builder.Logging.AddOpenTelemetry(logging =>
        {
            logging.IncludeFormattedMessage = true;
            logging.IncludeScopes = true;
        });

        builder.Services.AddOpenTelemetry()
            .WithMetrics(metrics => metrics
                .AddAspNetCoreInstrumentation()
                .AddHttpClientInstrumentation()
                .AddRuntimeInstrumentation()
                .AddMeter("FluxGate.*"));

        // OTLP export only when a collector is configured (Aspire sets this variable for every resource).
        // Traces are recorded only then too: an Activity per request that nobody exports costs allocations
        // and CPU on the hot path for nothing (measured in bench/).
        if (builder.IsOtlpExporterConfigured())
        {
            builder.Services.AddOpenTelemetry()
                .WithTracing(tracing => tracing
                    .AddSource(builder.Environment.ApplicationName)
                    .AddSource("FluxGate.*")
                    .AddAspNetCoreInstrumentation(options =>
                        // Probes would drown the traces that matter.
                        options.Filter = context =>
                            !context.Request.Path.StartsWithSegments(HealthEndpointPath)
                            && !context.Request.Path.StartsWithSegments(AlivenessEndpointPath))
                    .AddHttpClientInstrumentation())
                .UseOtlpExporter();
        }

        return builder;
    }

    /// <summary>True when a collector is configured; traces are recorded only then (clients add their sources under this rule too).</summary>
    public static bool IsOtlpExporterConfigured(this IHostApplicationBuilder builder) =>
        !string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]);

    public static TBuilder AddDefaultHealthChecks<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        builder.Services.AddHealthChecks()
            .AddCheck("self", () => HealthCheckResult.Healthy(), [LiveTag]);
        return builder;
    }

    /// <summary>
    /// <c>/health</c>: ready when every dependency check passes (JSON body lists each check's status; in
    /// Development also its description and error, which could reveal internals on a public endpoint);
    /// <c>/alive</c>: the process answers.
    /// </summary>
    public static WebApplication MapDefaultEndpoints(this WebApplication app)
    {
        var includeDetails = app.Environment.IsDevelopment();
        app.MapHealthChecks(HealthEndpointPath, new HealthCheckOptions
        {
            ResponseWriter = (context, report) => WriteHealthReport(context, report, includeDetails),
        });
        app.MapHealthChecks(AlivenessEndpointPath, new HealthCheckOptions
        {
            Predicate = check => check.Tags.Contains(LiveTag),
        });
        return app;
    }

    private static Task WriteHealthReport(HttpContext context, HealthReport report, bool includeDetails)
    {
        context.Response.ContentType = "application/json";
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("status", report.Status.ToString());
            json.WriteNumber("durationMs", Math.Round(report.TotalDuration.TotalMilliseconds, 1));
            json.WriteStartObject("checks");
            foreach (var (name, entry) in report.Entries)
            {
                json.WriteStartObject(name);
                json.WriteString("status", entry.Status.ToString());
                if (includeDetails && entry.Description is not null)
                {
                    json.WriteString("description", entry.Description);
                }
                if (includeDetails && entry.Exception is not null)
                {
                    json.WriteString("error", entry.Exception.Message);
                }
                json.WriteEndObject();
            }
            json.WriteEndObject();
            json.WriteEndObject();
        }
        return context.Response.Body.WriteAsync(buffer.ToArray()).AsTask();
    }
}
