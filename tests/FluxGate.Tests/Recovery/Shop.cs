using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Confluent.Kafka;
using FluxGate.Contracts;
using FluxGate.Tests.Infrastructure;
using Npgsql;
using Xunit.Abstractions;

namespace FluxGate.Tests.Recovery;

/// <summary>One <c>POST /order</c> and what came of it: a status and body, or the exception when no answer came.</summary>
public sealed record OrderAttempt(string Key, string UserId, DateTimeOffset SentAt, HttpStatusCode? Status, string? Outcome, Guid? OrderId, string? Error)
{
    public bool Accepted => Status == HttpStatusCode.OK && Outcome == "success";
}

/// <summary>What the recovery tests do to a graph: orders (one, or many in parallel), the admin endpoints, and PostgreSQL.</summary>
public sealed class Shop(FluxGateGraph graph, ITestOutputHelper output) : IDisposable
{
    private readonly HttpClient _api = CreateClient(graph);
    private readonly NpgsqlDataSource _database = NpgsqlDataSource.Create(graph.GetConnectionString("fluxgate"));

    public HttpClient Api => _api;

    public static HttpClient CreateClient(FluxGateGraph graph) =>
        new(new SocketsHttpHandler { AllowAutoRedirect = false, PooledConnectionLifetime = TimeSpan.FromMinutes(5) })
        {
            BaseAddress = graph.GetEndpoint("api"),
            Timeout = TimeSpan.FromSeconds(30),
        };

    public static string NewProduct(string prefix) => $"{prefix}-{Guid.NewGuid():N}";

    public async Task InitAsync(string productId, int quantity)
    {
        using var response = await _api.PostAsJsonAsync("/init", new { productId, quantity });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    public Task<OrderAttempt> OrderAsync(string productId, string key, string userId = "user-1") => OrderAsync(_api, productId, key, userId);

    public static async Task<OrderAttempt> OrderAsync(HttpClient api, string productId, string key, string userId)
    {
        var sentAt = DateTimeOffset.UtcNow;
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/order") { Content = JsonContent.Create(new { productId, userId }) };
            request.Headers.Add("x-idempotency-key", key);
            using var response = await api.SendAsync(request);
            var body = await response.Content.ReadAsStringAsync();
            string? outcome = null;
            Guid? orderId = null;
            if (body.StartsWith('{'))
            {
                using var json = JsonDocument.Parse(body);
                outcome = json.RootElement.TryGetProperty("status", out var status) ? status.GetString() : null;
                orderId = json.RootElement.TryGetProperty("orderId", out var id) ? id.GetGuid() : null;
            }
            return new OrderAttempt(key, userId, sentAt, response.StatusCode, outcome, orderId, null);
        }
        catch (Exception exception) when (exception is HttpRequestException or TaskCanceledException)
        {
            return new OrderAttempt(key, userId, sentAt, null, null, null, exception.Message);
        }
    }

    /// <summary>
    /// <paramref name="workers"/> shoppers ordering one after another, each key new, until <paramref name="stop"/> says so,
    /// <paramref name="maxOrders"/> are sent, or a shopper gets no answer at all (the api went away).
    /// </summary>
    public async Task<List<OrderAttempt>> LoadAsync(string productId, int workers, Func<int, (string Key, string UserId)> shopper,
        Func<bool> stop, int maxOrders)
    {
        var attempts = new ConcurrentBag<OrderAttempt>();
        var next = -1;
        await Task.WhenAll(Enumerable.Range(0, workers).Select(_ => Task.Run(async () =>
        {
            int index;
            while (!stop() && (index = Interlocked.Increment(ref next)) < maxOrders)
            {
                var (key, userId) = shopper(index);
                var attempt = await OrderAsync(_api, productId, key, userId);
                attempts.Add(attempt);
                if (attempt.Status is null)
                {
                    return;
                }
            }
        })));
        return attempts.ToList();
    }

    public async Task<JsonElement> InvariantsAsync(string productId)
    {
        using var response = await _api.GetAsync($"/admin/invariants/{productId}");
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode} {body}");
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    /// <summary>Waits until the product's books agree (accepted = rows in PostgreSQL = stock taken) and returns the report.</summary>
    public async Task<JsonElement> UntilInvariantsHoldAsync(string productId, TimeSpan? timeout = null)
    {
        var report = await Eventually.UntilAsync(() => InvariantsAsync(productId), report => report.GetProperty("holds").GetBoolean(),
            $"the invariant of {productId} holds", timeout);
        output.WriteLine($"invariants of {productId}: {report}");
        return report;
    }

    public async Task<long> CountPersistedAsync(IReadOnlyCollection<Guid> orderIds)
    {
        await using var command = _database.CreateCommand("SELECT count(*) FROM orders WHERE id = ANY($1)");
        command.Parameters.Add(new NpgsqlParameter<Guid[]> { TypedValue = orderIds.ToArray() });
        return (long)(await command.ExecuteScalarAsync())!;
    }

    /// <summary>Idempotency keys of the product that PostgreSQL holds more than one order for (must be none).</summary>
    public async Task<List<string>> KeysOrderedTwiceAsync(string productId)
    {
        await using var command = _database.CreateCommand(
            "SELECT idempotency_key FROM orders WHERE product_id = $1 GROUP BY idempotency_key HAVING count(*) > 1");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = productId });
        var keys = new List<string>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            keys.Add(reader.GetString(0));
        }
        return keys;
    }

    /// <summary>Per partition of the orders topic: where its log starts and ends now.</summary>
    public Dictionary<int, WatermarkOffsets> Watermarks()
    {
        using var consumer = new ConsumerBuilder<Ignore, Ignore>(new ConsumerConfig
        {
            BootstrapServers = graph.GetConnectionString("kafka"),
            GroupId = "recovery-tests-probe",
        }).Build();
        return Enumerable.Range(0, 6).ToDictionary(partition => partition,
            partition => consumer.QueryWatermarkOffsets(new TopicPartition(Topics.Orders, partition), TimeSpan.FromSeconds(5)));
    }

    public void Dispose()
    {
        _api.Dispose();
        _database.Dispose();
    }
}
