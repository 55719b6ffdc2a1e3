using FluxGate.AppHost;
using FluxGate.Tests.Infrastructure;
using Npgsql;
using Xunit.Abstractions;

namespace FluxGate.Tests.Persister;

/// <summary>
/// The AppHost keeps PostgreSQL's data in its state folder, while the mock Kafka starts empty on every run: the
/// offsets the database recorded in the first run lie beyond the new topic's end and must not hide its messages.
/// </summary>
public sealed class PersisterKeptDatabaseTests(ITestOutputHelper output)
{
    [Fact]
    public async Task A_fresh_broker_over_the_database_of_an_earlier_run_still_persists_every_order()
    {
        var stateDirectory = TempFolder.Create("fluxgate-persister-kept-");
        var options = new GraphOptions { StateDirectory = stateDirectory, OnLog = output.WriteLine };
        try
        {
            await using (var first = await FluxGateGraph.StartAsync(options))
            {
                await ProduceAndAwaitAsync(first, orders: 300, expectedRows: 300);
            }

            await using (var second = await FluxGateGraph.StartAsync(options))
            {
                // The same product, so the same partition: the database recorded offset 301 there, the new topic holds 51.
                await ProduceAndAwaitAsync(second, orders: 50, expectedRows: 350);
            }
        }
        finally
        {
            Directory.Delete(stateDirectory, recursive: true);
        }
    }

    private static async Task ProduceAndAwaitAsync(FluxGateGraph graph, int orders, long expectedRows)
    {
        using var producer = new OrderProducer(graph.GetConnectionString(ResourceNames.Kafka));
        await using var database = NpgsqlDataSource.Create(graph.GetConnectionString(ResourceNames.Database));
        await producer.ProduceAsync(OrderProducer.Init("kept", 1000));
        await producer.ProduceAllAsync(Enumerable.Range(0, orders).Select(_ => OrderProducer.Order("kept")));

        await Eventually.UntilAsync(() => database.OrderCountAsync("kept"), count => count == expectedRows, $"{expectedRows} orders are persisted");
        await Eventually.UntilAsync(() => database.ProductAsync("kept"), row => row == (1000 - orders, 1000), $"the stock is 1000 - {orders}");
    }
}
