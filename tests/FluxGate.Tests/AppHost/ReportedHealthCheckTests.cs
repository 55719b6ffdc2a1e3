using System.Net;
using System.Net.Sockets;
using System.Text;
using FluxGate.AppHost.Hosting;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace FluxGate.Tests.AppHost;

/// <summary>The dashboard's view of the persister: its own /health verdict, Degraded included (a plain HTTP check sees 200 = Healthy).</summary>
public sealed class ReportedHealthCheckTests : IDisposable
{
    private readonly HttpListener _listener = new();
    private readonly Uri _address;

    public ReportedHealthCheckTests()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        _address = new Uri($"http://127.0.0.1:{port}/health");
        _listener.Prefixes.Add($"http://127.0.0.1:{port}/");
        _listener.Start();
    }

    public void Dispose() => _listener.Close();

    [Theory]
    [InlineData(200, """{"status":"Healthy","checks":{}}""", HealthStatus.Healthy)]
    [InlineData(200, """{"status":"Degraded","checks":{"consumer":{"status":"Degraded"}}}""", HealthStatus.Degraded)]
    [InlineData(503, """{"status":"Unhealthy","checks":{}}""", HealthStatus.Unhealthy)]
    [InlineData(200, "Healthy", HealthStatus.Unhealthy)]
    public async Task The_service_s_own_status_is_the_resource_s_health(int statusCode, string body, HealthStatus expected)
    {
        var answer = AnswerOnceAsync(statusCode, body);

        var result = await new ReportedHealthCheck(() => _address).CheckHealthAsync(new HealthCheckContext());

        await answer;
        Assert.Equal(expected, result.Status);
    }

    [Fact]
    public async Task Nobody_listening_is_unhealthy()
    {
        _listener.Stop();
        var result = await new ReportedHealthCheck(() => _address).CheckHealthAsync(new HealthCheckContext());
        Assert.Equal(HealthStatus.Unhealthy, result.Status);
    }

    private async Task AnswerOnceAsync(int statusCode, string body)
    {
        var context = await _listener.GetContextAsync();
        context.Response.StatusCode = statusCode;
        context.Response.ContentType = "application/json";
        var bytes = Encoding.UTF8.GetBytes(body);
        await context.Response.OutputStream.WriteAsync(bytes);
        context.Response.Close();
    }
}
