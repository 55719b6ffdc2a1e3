using System.Security.Cryptography;
using FluxGate.WaitingRoom.Queue;

namespace FluxGate.Tests.WaitingRoom;

public class PreQueueShuffleTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(17)]
    [InlineData(1_000)]
    [InlineData(4_097)]
    public void Every_arrival_gets_a_place_of_its_own(int count)
    {
        var seed = RandomNumberGenerator.GetBytes(32);

        var places = Enumerable.Range(0, count).Select(arrival => PreQueueShuffle.Place(seed, count, arrival)).ToList();

        Assert.Equal(Enumerable.Range(0, count).Select(place => (long)place), places.Order());
    }

    [Fact]
    public void The_seed_alone_decides_the_order()
    {
        var seed = RandomNumberGenerator.GetBytes(32);
        var first = Enumerable.Range(0, 100).Select(arrival => PreQueueShuffle.Place(seed, 100, arrival)).ToList();

        Assert.Equal(first, Enumerable.Range(0, 100).Select(arrival => PreQueueShuffle.Place(seed, 100, arrival)));
        Assert.NotEqual(first, Enumerable.Range(0, 100).Select(arrival => PreQueueShuffle.Place(RandomNumberGenerator.GetBytes(32), 100, arrival)));
    }

    [Fact]
    public void Over_many_seeds_each_order_of_three_is_about_as_likely_as_any_other()
    {
        // 60,000 draws of 6 orders: each is 10,000 ± 100 (σ ≈ 91); the bounds below are 8σ wide on each side.
        var counts = new Dictionary<string, int>();
        var seed = new byte[32];
        for (var draw = 0; draw < 60_000; draw++)
        {
            BitConverter.TryWriteBytes(seed, draw);
            var order = string.Concat(Enumerable.Range(0, 3).Select(arrival => PreQueueShuffle.Place(seed, 3, arrival)));
            counts[order] = counts.GetValueOrDefault(order) + 1;
        }

        Assert.Equal(6, counts.Count);
        Assert.All(counts.Values, count => Assert.InRange(count, 9_270, 10_730));
    }
}
