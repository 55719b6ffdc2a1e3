using System.Text.Json;
using System.Text.Json.Serialization;
using FluxGate.Api.Http;
using FluxGate.Clients;
using FluxGate.Contracts;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;
using StackExchange.Redis;

namespace FluxGate.Api.Reconciliation;

/// <summary>Admin endpoints (header <c>x-api-key</c> when <c>Admin:ApiKey</c> is set): the invariant report and the restore.</summary>
public static class RecoveryApi
{
    public static IEndpointRouteBuilder MapRecoveryApi(this IEndpointRouteBuilder app)
    {
        var admin = app.MapGroup("/admin").AddEndpointFilter<AdminKeyFilter>();

        admin.MapGet("/invariants/{productId}", GetInvariantsAsync)
            .WithName("GetInvariants")
            .WithSummary("A product's books side by side: orders accepted = rows in PostgreSQL = stock taken in Redis, and whether that holds (admin)");

        admin.MapPost("/restore/{productId}", RestoreAsync)
            .WithName("RestoreProduct")
            .WithSummary("Restore a product Redis lost from PostgreSQL: stock and the idempotency keys of its window, once the persister has caught up (admin)");
        return app;
    }

    public static async Task<Results<JsonHttpResult<InvariantReport>, JsonHttpResult<StatusResponse>, JsonHttpResult<ErrorResponse>>> GetInvariantsAsync(
        string productId, InvariantCheck check, HttpResponse response, CancellationToken cancellationToken)
    {
        if (InputRules.CheckProductId(productId) is { } invalid)
        {
            return ApiResults.Error(ApiError.BadRequest(invalid));
        }
        try
        {
            return await check.CheckAsync(productId, cancellationToken) is { } report
                ? TypedResults.Json(report, RecoveryJsonContext.Default.InvariantReport)
                : ApiResults.Status(StatusCodes.Status404NotFound, new StatusResponse("not_found", $"Unknown product {productId}"));
        }
        catch (Exception exception) when (exception is RedisException or NpgsqlException or TimeoutException)
        {
            return Unavailable(response, "Invariant report unavailable: a backing service did not answer");
        }
    }

    public static async Task<Results<JsonHttpResult<RestoreResponse>, JsonHttpResult<StatusResponse>, JsonHttpResult<ErrorResponse>>> RestoreAsync(
        string productId, ProductRestore restore, HttpResponse response, CancellationToken cancellationToken)
    {
        if (InputRules.CheckProductId(productId) is { } invalid)
        {
            return ApiResults.Error(ApiError.BadRequest(invalid));
        }
        RestoreResult result;
        try
        {
            result = await restore.RestoreAsync(productId, cancellationToken);
        }
        catch (Exception exception) when (exception is RedisException or NpgsqlException or TimeoutException)
        {
            return Unavailable(response, "Restore failed: a backing service did not answer; retry");
        }
        return result.Status switch
        {
            RestoreStatus.Restored => TypedResults.Json(
                new RestoreResponse("ok", $"Restored {productId} from PostgreSQL: stock {result.Stock}, {result.Keys} idempotency keys", result.Stock, result.Keys),
                RecoveryJsonContext.Default.RestoreResponse),
            RestoreStatus.AlreadyPresent => ApiResults.Status(StatusCodes.Status409Conflict,
                new StatusResponse("conflict", $"Redis has {productId}: a restore never overwrites a live product")),
            RestoreStatus.UnknownInPostgres => ApiResults.Status(StatusCodes.Status404NotFound,
                new StatusResponse("not_found", $"PostgreSQL has no product {productId}")),
            RestoreStatus.NotCaughtUp => Unavailable(response,
                $"The persister is {result.Behind} event(s) behind Kafka, so PostgreSQL's stock is not final yet; retry once it has caught up"),
            _ => Unavailable(response, "Kafka did not answer, so whether PostgreSQL is complete is unknown; retry"),
        };
    }

    private static JsonHttpResult<StatusResponse> Unavailable(HttpResponse response, string message)
    {
        response.Headers.RetryAfter = "5";
        return ApiResults.Status(StatusCodes.Status503ServiceUnavailable, new StatusResponse("error", message));
    }
}

/// <summary>Body of a successful restore: the spec's <c>{"status","msg"}</c> plus what was restored.</summary>
public sealed record RestoreResponse(string Status, string Msg, long Stock, int Keys);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(InvariantReport))]
[JsonSerializable(typeof(RestoreResponse))]
internal sealed partial class RecoveryJsonContext : JsonSerializerContext;
