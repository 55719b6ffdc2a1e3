using System.Text.Json;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace FluxGate.AppHost.Hosting;

/// <summary>
/// A service's own verdict from its <c>/health</c> JSON (<c>{"status":"Healthy"|"Degraded"|"Unhealthy",…}</c>), so the
/// dashboard shows Degraded too: a plain HTTP check sees only the status code, and ASP.NET Core answers 200 for Degraded.
/// </summary>
internal sealed class ReportedHealthCheck(Func<Uri> address) : IHealthCheck
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(5) };

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            using var response = await Http.GetAsync(address(), cancellationToken);
            var body = await response.Content.ReadAsStringAsync(cancellationToken);
            var status = TryReadStatus(body);
            return status switch
            {
                "Healthy" when response.IsSuccessStatusCode => HealthCheckResult.Healthy(),
                "Degraded" => HealthCheckResult.Degraded(body),
                _ => HealthCheckResult.Unhealthy($"{(int)response.StatusCode}: {body}"),
            };
        }
        catch (Exception exception) when (exception is HttpRequestException or TaskCanceledException or InvalidOperationException)
        {
            // Not listening yet, or its endpoint not allocated yet.
            return HealthCheckResult.Unhealthy(exception.Message);
        }
    }

    private static string? TryReadStatus(string body)
    {
        try
        {
            using var json = JsonDocument.Parse(body);
            return json.RootElement.TryGetProperty("status", out var status) ? status.GetString() : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}

public static class ReportedHealthCheckExtensions
{
    /// <summary>Like <c>WithHttpHealthCheck(path)</c>, but Healthy, Degraded or Unhealthy as the service reports itself.</summary>
    public static IResourceBuilder<ProjectResource> WithReportedHealthCheck(this IResourceBuilder<ProjectResource> service, string path)
    {
        var endpoint = service.GetEndpoint("http");
        var key = $"{service.Resource.Name}_reported_health";
        service.ApplicationBuilder.Services.AddHealthChecks().Add(new HealthCheckRegistration(
            key, _ => new ReportedHealthCheck(() => new Uri(new Uri(endpoint.Url), path)), failureStatus: null, tags: null));
        return service.WithHealthCheck(key);
    }
}
