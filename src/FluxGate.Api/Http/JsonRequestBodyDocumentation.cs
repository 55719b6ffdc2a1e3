using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace FluxGate.Api.Http;

public static class JsonRequestBodyDocumentation
{
    /// <summary>
    /// Documents a JSON request body that the handler reads itself. Unlike <c>Accepts&lt;T&gt;()</c> this adds no
    /// content-type routing constraint, so a wrong Content-Type reaches the handler and gets the JSON 415 it owns
    /// instead of routing's empty one.
    /// </summary>
    public static RouteHandlerBuilder WithJsonRequestBody<TBody>(this RouteHandlerBuilder endpoint) =>
        endpoint.AddOpenApiOperationTransformer(async (operation, context, cancellationToken) =>
        {
            operation.RequestBody = new Microsoft.OpenApi.OpenApiRequestBody
            {
                Required = true,
                Content = new Dictionary<string, OpenApiMediaType>
                {
                    ["application/json"] = new() { Schema = await context.GetOrCreateSchemaAsync(typeof(TBody), null, cancellationToken) },
                },
            };
        });
}
