using FluxGate.Clients;
using Microsoft.Extensions.DependencyInjection;

namespace Microsoft.Extensions.Hosting;

public static class ErrorMappingExtensions
{
    /// <summary>
    /// <see cref="ErrorMapping"/> as the exception handler (with <c>app.UseExceptionHandler()</c>), and ProblemDetails for
    /// what the framework refuses before a handler runs (routing's 404 and 405, with <c>app.UseStatusCodePages()</c>).
    /// </summary>
    public static IHostApplicationBuilder AddErrorMapping(this IHostApplicationBuilder builder, RefusalBody refusalBody)
    {
        builder.Services.Configure<ErrorMappingOptions>(options => options.RefusalBody = refusalBody);
        builder.Services.AddExceptionHandler<ErrorMapping>();
        builder.Services.AddProblemDetails();
        return builder;
    }
}
