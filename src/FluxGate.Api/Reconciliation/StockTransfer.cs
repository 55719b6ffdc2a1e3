using System.Globalization;
using FluxGate.Api.Redis;
using FluxGate.Contracts;
using StackExchange.Redis;

namespace FluxGate.Api.Reconciliation;

/// <summary>
/// Units one stock bucket gave to another (<see cref="RedisKeys.Transfers"/>):
/// <c>&lt;units&gt;:&lt;given at ms&gt;:&lt;sale (initializedAt)&gt;:&lt;receiving bucket&gt;</c>, the receiver last (a product id may hold ':').
/// </summary>
public sealed record StockTransfer(long Units, long GivenAtMs, string Sale, string Receiver)
{
    public static StockTransfer? Parse(RedisValue value)
    {
        var parts = ((string?)value)?.Split(':', 4);
        return parts is { Length: 4 }
               && long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var units)
               && long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var givenAt)
               && parts[3].Length > 0
            ? new StockTransfer(units, givenAt, parts[2], parts[3])
            : null;
    }
}
