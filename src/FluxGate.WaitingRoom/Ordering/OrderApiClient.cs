using System.Net.Http.Headers;
using System.Net.Http.Json;
using FluxGate.Contracts;

namespace FluxGate.WaitingRoom.Ordering;

/// <summary>
/// Places a served shopper's order with the API, server-side (the browser only ever talks to the room).
/// The client has no retry handler: the page decides when to try again, with the same idempotency key.
/// </summary>
public sealed class OrderApiClient(HttpClient http, ILogger<OrderApiClient> logger)
{
    /// <param name="shopperToken">The signed-in shopper's bearer token, forwarded so that the API sees the same shopper.</param>
    public async Task<ApiOrderReply> PlaceOrderAsync(
        string productId, string userId, string idempotencyKey, string admissionToken, string? shopperToken,
        CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/order")
        {
            Content = JsonContent.Create(new OrderRequest(productId, userId), OrderingJsonContext.Default.OrderRequest),
        };
        request.Headers.Add("x-idempotency-key", idempotencyKey);
        request.Headers.Add(AdmissionToken.HeaderName, admissionToken);
        if (shopperToken is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", shopperToken);
        }

        try
        {
            using var response = await http.SendAsync(request, cancellationToken);
            var body = await response.Content.ReadAsStringAsync(cancellationToken);
            var retryAfter = response.Headers.RetryAfter?.Delta;
            return new ApiOrderReply((int)response.StatusCode, body, retryAfter);
        }
        catch (Exception exception) when (exception is HttpRequestException
                                              || (exception is TaskCanceledException && !cancellationToken.IsCancellationRequested))
        {
            logger.LogWarning(exception, "Order hand-off to the API failed for product {ProductId}", productId);
            return ApiOrderReply.Unreachable;
        }
    }

    /// <summary>Units left of <paramref name="productId"/> over all its stock buckets and when its sale opens; null when it was
    /// never initialized.</summary>
    /// <exception cref="HttpRequestException">The api did not answer, or answered with a failure.</exception>
    public async Task<InventoryResponse?> GetInventoryAsync(string productId, CancellationToken cancellationToken)
    {
        using var response = await http.GetAsync($"/inventory/{Uri.EscapeDataString(productId)}", cancellationToken);
        if (response.StatusCode == System.Net.HttpStatusCode.NotFound)
        {
            return null;
        }
        response.EnsureSuccessStatusCode();
        return await response.Content.ReadFromJsonAsync(OrderingJsonContext.Default.InventoryResponse, cancellationToken);
    }
}

public sealed record OrderRequest(string ProductId, string UserId);
