using FluxGate.Clients;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Microsoft.Extensions.Hosting;

public static class ErrorMappingExtensions
{
    /// <summary>
    /// <see cref="ErrorMapping"/> as the exception handler and ProblemDetails for what the framework refuses before a
    /// handler runs (with <see cref="UseErrorMapping"/>).
    /// </summary>
    public static IHostApplicationBuilder AddErrorMapping(this IHostApplicationBuilder builder, RefusalBody refusalBody)
    {
        builder.Services.Configure<ErrorMappingOptions>(options => options.RefusalBody = refusalBody);
        builder.Services.AddExceptionHandler<ErrorMapping>();
        builder.Services.AddProblemDetails();
        return builder;
    }

    /// <summary>
    /// The exception handler (<see cref="ErrorMapping"/>), then answers for what Kestrel and routing refuse without a
    /// body: 413 and 415 saying what to change, routing's 404 and 405 as ProblemDetails.
    /// </summary>
    /// <param name="answersItself">Requests whose endpoint writes every answer itself: they skip the status-code pages,
    /// whose middleware costs each request a feature and an async state machine (about 200 B).</param>
    public static IApplicationBuilder UseErrorMapping(this IApplicationBuilder app, Func<HttpContext, bool>? answersItself = null)
    {
        app.UseExceptionHandler();
        return answersItself is null
            ? app.UseStatusCodePages(ErrorMapping.AnswerBodilessAsync)
            : app.UseWhen(context => !answersItself(context), others => others.UseStatusCodePages(ErrorMapping.AnswerBodilessAsync));
    }
}
