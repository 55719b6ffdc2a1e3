using System.Security.Cryptography;
using System.Text;
using FluxGate.Api.Options;
using Microsoft.Extensions.Options;

namespace FluxGate.Api.Http;

/// <summary>
/// Guards admin endpoints with header <c>x-api-key</c>. With no key configured they stay open in Development
/// (the spec's curl examples) and are closed everywhere else: fail closed.
/// </summary>
public sealed class AdminKeyFilter(IOptions<AdminOptions> options, IHostEnvironment environment) : IEndpointFilter
{
    public const string HeaderName = "x-api-key";

    private readonly byte[]? _key = options.Value.ApiKey is { Length: > 0 } key ? Encoding.UTF8.GetBytes(key) : null;

    /// <summary>The request carries the configured admin key (never true when none is configured, Development included).</summary>
    public bool Accepts(HttpRequest request) =>
        _key is not null && request.Headers[HeaderName] is { Count: > 0 } presented
                         && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(presented.ToString()), _key);

    public ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        if (_key is null)
        {
            return environment.IsDevelopment()
                ? next(context)
                : ValueTask.FromResult<object?>(ApiResults.Error(new ApiError(StatusCodes.Status403Forbidden,
                    "Admin endpoints are disabled: set Admin:ApiKey to enable them")));
        }

        var presented = context.HttpContext.Request.Headers[HeaderName].ToString();
        return CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(presented), _key)
            ? next(context)
            : ValueTask.FromResult<object?>(ApiResults.Error(new ApiError(StatusCodes.Status401Unauthorized,
                $"Missing or invalid {HeaderName} header")));
    }
}
