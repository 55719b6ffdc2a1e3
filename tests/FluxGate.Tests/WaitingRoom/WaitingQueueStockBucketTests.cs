using FluxGate.Contracts;
using FluxGate.Tests.Infrastructure;
using FluxGate.WaitingRoom.Options;
using FluxGate.WaitingRoom.Queue;
using FluxGate.WaitingRoom.Telemetry;
using Microsoft.Extensions.DependencyInjection;
using MsOptions = Microsoft.Extensions.Options.Options;

namespace FluxGate.Tests.WaitingRoom;

/// <summary>The line of a product split over stock buckets closes only when every bucket is empty, on a real Redis.</summary>
[Collection(RedisCollection.Name)]
public class WaitingQueueStockBucketTests(RedisFixture redis)
{
    [Fact]
    public async Task An_empty_first_bucket_does_not_close_the_line_while_another_bucket_has_units()
    {
        using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var queue = new WaitingQueue(redis.Connection, MsOptions.Create(new WaitingRoomOptions { AdmissionRatePerSecond = 0.001 }),
            new WaitingRoomMetrics(services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>()));
        var productId = $"wr-{Guid.NewGuid():N}";
        var buckets = StockBuckets.Of(productId, 3);
        await redis.Database.HashSetAsync(RedisKeys.Ledger(productId), StockBuckets.CountField, 3);
        await redis.Database.StringSetAsync(RedisKeys.Stock(buckets[0]), 0);
        await redis.Database.StringSetAsync(RedisKeys.Stock(buckets[1]), 0);
        await redis.Database.StringSetAsync(RedisKeys.Stock(buckets[2]), 1);

        var joined = await queue.JoinAsync(productId, new ShopperIdentity("u1", "k1"));
        Assert.NotEqual(QueueState.SoldOut, joined.State);
        Assert.NotEqual(QueueState.SoldOut, (await queue.GetStatusAsync(productId, joined.Ticket)).State);

        await redis.Database.StringSetAsync(RedisKeys.Stock(buckets[2]), 0);
        Assert.Equal(QueueState.SoldOut, (await queue.GetStatusAsync(productId, joined.Ticket)).State);
        Assert.Equal(QueueState.SoldOut, (await queue.JoinAsync(productId, new ShopperIdentity("u2", "k2"))).State);
    }
}
