using FluxGate.Clients;
using Microsoft.AspNetCore.Mvc.ModelBinding;

namespace FluxGate.Api.Http;

/// <summary>
/// The endpoint filter that refuses a bound <see cref="IRequestBody"/> breaking its rules, and a required one that is
/// missing, with the spec's <c>400 {"error"}</c>, before the handler runs.
/// </summary>
public static class RequestBodyRules
{
    public static RouteHandlerBuilder WithRequestBodyRules(this RouteHandlerBuilder endpoint, bool bodyRequired = true) =>
        endpoint.AddEndpointFilterFactory((factory, next) =>
        {
            var parameters = factory.MethodInfo.GetParameters();
            var index = Array.FindIndex(parameters, parameter => parameter.ParameterType.IsAssignableTo(typeof(IRequestBody)));
            if (index < 0)
            {
                throw new InvalidOperationException($"{factory.MethodInfo.Name} binds no {nameof(IRequestBody)}.");
            }
            return invocation => invocation.GetArgument<IRequestBody?>(index) switch
            {
                { } body when body.Problem() is { } problem => Refuse(ApiError.BadRequest(problem)),
                null when bodyRequired => Refuse(Missing(invocation.HttpContext.Request)),
                _ => next(invocation),
            };
        });

    /// <summary>
    /// No body where one is needed: nothing sent, or the JSON <c>null</c>. Binding passes null for both (the body is
    /// bound with <see cref="EmptyBodyBehavior.Allow"/>) so that this answer, not the framework's, is the client's.
    /// </summary>
    public static ApiError Missing(HttpRequest request) =>
        request.HasJsonContentType() ? ApiError.BadRequest(RequestBodyRefusal.Missing(request)) : ApiError.NotJson;

    private static ValueTask<object?> Refuse(ApiError error) => ValueTask.FromResult<object?>(ApiResults.Error(error));
}
