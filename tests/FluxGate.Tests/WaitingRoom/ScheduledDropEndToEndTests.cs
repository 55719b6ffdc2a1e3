using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using FluxGate.AppHost;
using FluxGate.Contracts;
using FluxGate.Tests.Infrastructure;
using Xunit.Abstractions;

namespace FluxGate.Tests.WaitingRoom;

/// <summary>
/// A sale with a start (<c>POST /init</c> with <c>startsAt</c>): before it every order goes to the waiting room's
/// pre-queue, whose shoppers get uniformly random places at the start, ahead of everyone who joins later.
/// </summary>
[Collection(GraphCollection.Name)]
public sealed class ScheduledDropEndToEndTests(GraphFixture graph, ITestOutputHelper output)
{
    private const int PreQueue = 1_000;

    [Fact]
    public Task The_pre_queue_is_shuffled_at_the_start_and_later_shoppers_queue_behind_it() =>
        graph.WithLogsOnFailureAsync(output, async () =>
        {
            await using var shop = new ShopDriver(graph.App);
            var productId = $"drop-{Guid.NewGuid():N}"[..24];
            var startsAt = DateTimeOffset.UtcNow.AddSeconds(15);
            await shop.InitAsync(productId, 100, startsAt);

            // Before the start: the stock and the start are public; an order goes to the room, never sold and never sold
            // out, also with an admission token signed with the real key.
            var inventory = await shop.Api.GetFromJsonAsync<JsonElement>($"/inventory/{productId}");
            Assert.Equal(100, inventory.GetProperty("stock").GetInt64());
            Assert.Equal(startsAt.ToUnixTimeMilliseconds(), inventory.GetProperty("startsAt").GetDateTimeOffset().ToUnixTimeMilliseconds());
            Assert.Equal(HttpStatusCode.Redirect, (await shop.OrderAsync(productId, "early-bird", Guid.NewGuid().ToString())).Status);
            var key = Convert.FromBase64String(await graph.App.GetParameterValueAsync("admission-signing-key"));
            var token = new AdmissionToken(productId, 1, DateTimeOffset.UtcNow.AddMinutes(1)).Sign(key);
            Assert.Equal(HttpStatusCode.Redirect, (await shop.OrderAsync(productId, "early-bird", Guid.NewGuid().ToString(), token)).Status);

            // 1,000 shoppers join in a known order; the first comes back and keeps the ticket.
            var tickets = new string[PreQueue];
            for (var i = 0; i < PreQueue; i++)
            {
                var (status, joined) = await shop.JoinAsync(productId, $"early-{i}", $"key-{i}");
                Assert.True(status == HttpStatusCode.OK && joined.GetProperty("status").GetString() == "upcoming", $"{status} {joined}");
                tickets[i] = joined.GetProperty("ticket").GetString()!;
            }
            var (_, again) = await shop.JoinAsync(productId, "early-0", "key-0");
            Assert.Equal(tickets[0], again.GetProperty("ticket").GetString());
            Assert.True(again.GetProperty("rejoined").GetBoolean());
            Assert.Equal(PreQueue, again.GetProperty("preQueue").GetInt64());
            Assert.True(DateTimeOffset.UtcNow < startsAt, "the pre-queue filled before the start; give it more time");

            await Task.Delay(startsAt - DateTimeOffset.UtcNow + TimeSpan.FromMilliseconds(200));
            var later = new List<long>();
            for (var i = 0; i < 5; i++)
            {
                var (_, joined) = await shop.JoinAsync(productId, $"late-{i}", $"key-{i}");
                later.Add(joined.GetProperty("ticketNumber").GetInt64());
            }

            var places = new long[PreQueue];
            for (var i = 0; i < PreQueue; i++)
            {
                var (_, ticket) = await shop.TicketAsync(productId, tickets[i]);
                Assert.NotEqual("upcoming", ticket.GetProperty("status").GetString());
                places[i] = ticket.GetProperty("ticketNumber").GetInt64();
            }

            Assert.Equal(Enumerable.Range(1, PreQueue).Select(place => (long)place), places.Order());
            Assert.All(later, place => Assert.True(place > PreQueue, $"a later shopper got place {place}"));
            Assert.Equal(later.Order(), later); // and among themselves FIFO
            // Kendall's τ of place against arrival. Under a uniform shuffle it is the τ of 1,000 independent pairs, a
            // U-statistic with a kernel in [-1, 1]: Hoeffding (1963) bounds P(|τ| ≥ t) by 2·exp(-⌊n/2⌋·t²/2), which for
            // t = 0.25 is 2·exp(-15.6) < 3.4e-7, so a fair shuffle fails this less than once in a million runs. A FIFO
            // line is τ = 1; most half-fair orders (halves swapped, a few rounds of a weak shuffle) are far above 0.25.
            var tau = KendallTau(places);
            output.WriteLine($"Kendall's tau of place against arrival: {tau:F4}");
            Assert.InRange(tau, -0.25, 0.25);
        });

    [Fact]
    public Task A_start_that_is_not_an_rfc_3339_utc_time_is_a_400_naming_the_rule() =>
        graph.WithLogsOnFailureAsync(output, async () =>
        {
            await using var shop = new ShopDriver(graph.App);
            foreach (var startsAt in new object[] { "2026-12-24T10:00:00", "2026-12-24T10:00:00+01:00", "tomorrow", 1_766_570_400_000, "" })
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, "/init")
                {
                    Content = JsonContent.Create(new { productId = "drop-bad-start", quantity = 1, startsAt }),
                };
                AddAdminKey(request);
                using var answer = await shop.Api.SendAsync(request);
                Assert.Equal(HttpStatusCode.BadRequest, answer.StatusCode);
                Assert.StartsWith("startsAt must be an RFC 3339 time in UTC", (await answer.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error").GetString());
            }

            // In the past: open at once.
            var productId = $"drop-{Guid.NewGuid():N}"[..24];
            await shop.InitAsync(productId, 1, DateTimeOffset.UtcNow.AddMinutes(-1));
            Assert.Equal(HttpStatusCode.OK, (await shop.OrderAsync(productId, "u", Guid.NewGuid().ToString())).Status);
        });

    private void AddAdminKey(HttpRequestMessage request)
    {
        if (graph.App.AdminApiKey is { } key)
        {
            request.Headers.Add("x-api-key", key);
        }
    }

    /// <summary>Kendall's τ between arrival order (the index) and the values, which are all distinct.</summary>
    internal static double KendallTau(IReadOnlyList<long> values)
    {
        long concordant = 0, discordant = 0;
        for (var i = 0; i < values.Count; i++)
        {
            for (var j = i + 1; j < values.Count; j++)
            {
                if (values[j] > values[i])
                {
                    concordant++;
                }
                else
                {
                    discordant++;
                }
            }
        }
        return (concordant - discordant) / (double)(concordant + discordant);
    }
}
