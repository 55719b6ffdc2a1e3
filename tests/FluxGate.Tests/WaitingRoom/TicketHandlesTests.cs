using System.Security.Cryptography;
using FluxGate.WaitingRoom.Queue;

namespace FluxGate.Tests.WaitingRoom;

public class TicketHandlesTests
{
    private readonly TicketHandles _handles = new(RandomNumberGenerator.GetBytes(32));

    [Fact]
    public void A_handle_reads_back_as_its_ticket_for_its_product()
    {
        var handle = _handles.Create("ps5", 42);

        Assert.StartsWith("42.", handle);
        Assert.True(_handles.TryRead("ps5", handle, out var ticket));
        Assert.Equal(42, ticket);
    }

    [Fact]
    public void A_handle_is_not_valid_for_another_product_or_under_another_key()
    {
        var handle = _handles.Create("ps5", 42);

        Assert.False(_handles.TryRead("xbox", handle, out _));
        Assert.False(new TicketHandles(RandomNumberGenerator.GetBytes(32)).TryRead("ps5", handle, out _));
    }

    [Fact]
    public void Claiming_an_earlier_ticket_with_someone_elses_mac_fails()
    {
        var mine = _handles.Create("ps5", 42);
        var forged = "1" + mine[mine.IndexOf('.')..];

        Assert.False(_handles.TryRead("ps5", forged, out _));
        Assert.False(_handles.TryRead("ps5", "042" + mine[mine.IndexOf('.')..], out _));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("42")]
    [InlineData("42.")]
    [InlineData(".abc")]
    [InlineData("-1.abc")]
    [InlineData("0.AAAAAAAAAAAAAAAAAAAAAA")]
    [InlineData("42.AAAAAAAAAAAAAAAAAAAAAx")]
    [InlineData("42.!!!!")]
    [InlineData("99999999999999999999999.AAAA")]
    public void Malformed_handles_are_refused_without_throwing(string? handle)
    {
        Assert.False(_handles.TryRead("ps5", handle, out _));
    }
}
