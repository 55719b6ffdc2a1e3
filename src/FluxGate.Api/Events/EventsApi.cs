using System.Net.WebSockets;
using System.Text.Json;
using FluxGate.Api.Http;
using FluxGate.Clients;
using FluxGate.Contracts;

namespace FluxGate.Api.Events;

public static class EventsApi
{
    public const string Path = "/events";
    public const int MaxProductsPerConnection = 20;

    public static IEndpointRouteBuilder MapEventsApi(this IEndpointRouteBuilder app)
    {
        app.Map(Path, StreamAsync)
            .WithName("InventoryEvents")
            .WithSummary("WebSocket: real-time inventory of ?productId=a&productId=b (JSON text messages)")
            .UnavailableWith("Inventory feed unavailable; retry shortly");
        return app;
    }

    public static async Task StreamAsync(HttpContext context, InventoryFeed feed)
    {
        var productIds = context.Request.Query["productId"]
            .SelectMany(value => (value ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            .Distinct()
            .ToList();
        var refusal = !context.WebSockets.IsWebSocketRequest
            ? ApiError.BadRequest("/events is a WebSocket endpoint: connect with ws://…/events?productId=<id>")
            : productIds.Count is 0 or > MaxProductsPerConnection
                ? ApiError.BadRequest($"Name 1 to {MaxProductsPerConnection} products: ?productId=<id>")
                : productIds.Select(InputRules.CheckProductId).FirstOrDefault(error => error is not null) is { } invalid
                    ? ApiError.BadRequest(invalid)
                    : null;
        if (refusal is not null)
        {
            await ApiResults.Error(refusal).ExecuteAsync(context);
            return;
        }

        // The snapshot is read before the upgrade: if Redis fails it, the answer is still an HTTP 503 (ErrorMapping).
        using var subscription = await feed.SubscribeAsync(productIds);
        using var socket = await context.WebSockets.AcceptWebSocketAsync();
        using var closed = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
        var receiving = WatchForCloseAsync(socket, closed);
        try
        {
            await foreach (var update in subscription.Updates.ReadAllAsync(closed.Token))
            {
                var message = JsonSerializer.SerializeToUtf8Bytes(update, EventsJsonContext.Default.InventoryUpdate);
                await socket.SendAsync(message, WebSocketMessageType.Text, endOfMessage: true, closed.Token);
            }
        }
        catch (Exception exception) when (exception is OperationCanceledException or WebSocketException)
        {
            // The client left.
        }
        await receiving;
    }

    /// <summary>Clients only listen; reading is how we learn they closed.</summary>
    private static async Task WatchForCloseAsync(WebSocket socket, CancellationTokenSource closed)
    {
        var buffer = new byte[256];
        try
        {
            while (socket.State == WebSocketState.Open)
            {
                var received = await socket.ReceiveAsync(buffer, closed.Token);
                if (received.MessageType == WebSocketMessageType.Close)
                {
                    await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "bye", CancellationToken.None);
                    break;
                }
            }
        }
        catch (Exception exception) when (exception is OperationCanceledException or WebSocketException)
        {
        }
        finally
        {
            await closed.CancelAsync();
        }
    }
}
