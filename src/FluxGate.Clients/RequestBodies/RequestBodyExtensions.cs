using FluxGate.Clients;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;

namespace Microsoft.Extensions.Hosting;

public static class RequestBodyExtensions
{
    /// <summary>
    /// JSON bodies bound by minimal APIs and refused in words: binding throws what it cannot read (for
    /// <see cref="ErrorMapping"/> to describe) rather than answering an empty 400, and Kestrel stops reading at
    /// <paramref name="maxBytes"/> (a 413).
    /// </summary>
    public static IHostApplicationBuilder AddJsonRequestBodies(this IHostApplicationBuilder builder, int maxBytes)
    {
        builder.Services.Configure<RouteHandlerOptions>(options => options.ThrowOnBadRequest = true);
        builder.Services.Configure<KestrelServerOptions>(options => options.Limits.MaxRequestBodySize = maxBytes);
        return builder;
    }

    /// <summary>Checks the UTF-8 of every JSON body an endpoint binds (<see cref="Utf8RequestBody"/>), as it is read.</summary>
    public static IApplicationBuilder UseUtf8RequestBodies(this IApplicationBuilder app) =>
        app.Use((context, next) =>
        {
            if (context.GetEndpoint()?.Metadata.GetMetadata<IAcceptsMetadata>() is not null && context.Request.HasJsonContentType())
            {
                context.Request.Body = new Utf8RequestBody(context.Request.Body);
            }
            return next(context);
        });
}
