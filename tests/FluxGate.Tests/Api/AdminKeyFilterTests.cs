using FluxGate.Api.Http;
using FluxGate.Api.Options;
using FluxGate.Clients;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Hosting;
using MsOptions = Microsoft.Extensions.Options.Options;

namespace FluxGate.Tests.Api;

public class AdminKeyFilterTests
{
    private static readonly object Passed = new();

    private static async Task<object?> InvokeAsync(string? configuredKey, string environment, string? presentedKey)
    {
        var filter = new AdminKeyFilter(MsOptions.Create(new AdminOptions { ApiKey = configuredKey }), new Environment(environment));
        var context = new DefaultHttpContext();
        if (presentedKey is not null)
        {
            context.Request.Headers[AdminKeyFilter.HeaderName] = presentedKey;
        }
        return await filter.InvokeAsync(new DefaultEndpointFilterInvocationContext(context), _ => ValueTask.FromResult<object?>(Passed));
    }

    [Fact]
    public async Task Without_a_key_admin_is_open_in_development()
    {
        Assert.Same(Passed, await InvokeAsync(null, Environments.Development, null));
    }

    [Fact]
    public async Task Without_a_key_admin_is_closed_outside_development()
    {
        var result = Assert.IsType<JsonHttpResult<ErrorResponse>>(await InvokeAsync(null, Environments.Production, null));
        Assert.Equal(403, result.StatusCode);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("wrong")]
    [InlineData("s3cret-but-longer")]
    public async Task With_a_key_a_missing_or_wrong_header_is_401(string? presented)
    {
        var result = Assert.IsType<JsonHttpResult<ErrorResponse>>(await InvokeAsync("s3cret", Environments.Development, presented));
        Assert.Equal(401, result.StatusCode);
        Assert.Equal("Missing or invalid x-api-key header", result.Value!.Error);
    }

    [Fact]
    public async Task With_a_key_the_right_header_passes_in_any_environment()
    {
        Assert.Same(Passed, await InvokeAsync("s3cret", Environments.Production, "s3cret"));
    }

    private sealed class Environment(string name) : IHostEnvironment
    {
        public string EnvironmentName { get; set; } = name;
        public string ApplicationName { get; set; } = "FluxGate.Api";
        public string ContentRootPath { get; set; } = AppContext.BaseDirectory;
        public IFileProvider ContentRootFileProvider { get; set; } = new NullFileProvider();
    }
}
