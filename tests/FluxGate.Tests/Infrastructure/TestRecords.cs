using FluxGate.Api.Orders;
using FluxGate.Api.Redis;
using StackExchange.Redis;

namespace FluxGate.Tests.Infrastructure;

/// <summary>What the api's records hashes (<see cref="OrderRecords"/>) hold for one stock bucket, as the tests look at it.</summary>
internal static class TestRecords
{
    public static async Task<List<OrderRecord>> OfAsync(IDatabase redis, string bucket)
    {
        var productId = StockBuckets.ProductOf(bucket);
        List<OrderRecord> records = [];
        await foreach (var entry in redis.HashScanAsync(OrderRecords.Key(RedisHashSlot.Of(bucket))))
        {
            switch (OrderRecords.Parse(entry))
            {
                case InFlightReservation reservation when reservation.Bucket == bucket:
                    records.Add(reservation);
                    break;
                case AcknowledgedEvent acknowledged when acknowledged.ProductId == productId:
                    records.Add(acknowledged);
                    break;
            }
        }
        return records;
    }

    /// <summary>Reservations Kafka has not answered yet.</summary>
    public static async Task<long> ReservationsAsync(IDatabase redis, string bucket) =>
        (await OfAsync(redis, bucket)).OfType<InFlightReservation>().Count();

    /// <summary>Events Kafka acknowledged that PostgreSQL may lack.</summary>
    public static async Task<long> EventsAsync(IDatabase redis, string bucket) =>
        (await OfAsync(redis, bucket)).OfType<AcknowledgedEvent>().Count();

    public static async Task<InFlightReservation?> ReservationAsync(IDatabase redis, string orderId) =>
        OrderRecords.Parse(new HashEntry(orderId, await redis.HashGetAsync(OrderRecords.KeyOf(Guid.ParseExact(orderId, "N")), orderId))) as InFlightReservation;

    /// <summary>Drops an order's record, as a failover to a replica that lacked it would.</summary>
    public static Task<bool> DeleteAsync(IDatabase redis, Guid orderId) => redis.HashDeleteAsync(OrderRecords.KeyOf(orderId), orderId.ToString("N"));
}
