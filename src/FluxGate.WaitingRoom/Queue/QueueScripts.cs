namespace FluxGate.WaitingRoom.Queue;

/// <summary>
/// The queue's two Lua scripts. "Now serving" is not pushed by a ticker: it is a line through time
/// (<c>n + (now − ts)·rate</c>, capped at the last ticket issued) evaluated lazily on the Redis clock (<c>TIME</c>),
/// so any number of room instances agree and nothing runs while nobody asks. The base point is rewritten only
/// when the cap bites (the room is empty) or the rate changes; a poll of a non-empty queue is read-only.
/// Every key carries the product's hash tag, so the scripts are valid on Redis Cluster.
/// Reply: <c>{code, ticket, serving (string), issued, rejoined}</c>, code 0 = open, 1 = sold out, 2 = not on sale.
/// </summary>
public static class QueueScripts
{
    private const string Serving = """
        local function serving_now(key, issued, rate)
          local t = redis.call('TIME')
          local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
          local base = redis.call('HMGET', key, 'n', 'ts', 'rate')
          local n, ts, r = tonumber(base[1]), tonumber(base[2]), tonumber(base[3])
          if n == nil or ts == nil or r == nil then
            redis.call('HSET', key, 'n', issued, 'ts', now, 'rate', rate)
            return issued
          end
          local serving = n
          if now > ts then serving = n + (now - ts) * r / 1000000 end
          if serving >= issued then
            serving = issued
            if n ~= issued or r ~= rate then redis.call('HSET', key, 'n', serving, 'ts', now, 'rate', rate) end
          elseif r ~= rate then
            redis.call('HSET', key, 'n', serving, 'ts', now, 'rate', rate)
          end
          return serving
        end

        """;

    /// <summary>
    /// Join. KEYS: issued, serving[, owner]. ARGV: rate per second, owner TTL ms, the sale's state (<see cref="SaleState"/>:
    /// 0 open, 1 sold out, 2 not on sale, as the api says). With an owner key, a shopper who comes back keeps the ticket
    /// (and its TTL is renewed). Nobody joins the line of a product that is sold out or not on sale.
    /// </summary>
    public const string Join = Serving + """
        local rate = tonumber(ARGV[1])
        local issued = tonumber(redis.call('GET', KEYS[1]) or '0')
        local serving = serving_now(KEYS[2], issued, rate)
        local code = tonumber(ARGV[3])
        local ticket = false
        if KEYS[3] then ticket = tonumber(redis.call('GET', KEYS[3])) end
        if ticket and ticket <= issued then
          redis.call('PEXPIRE', KEYS[3], ARGV[2])
          return {code, ticket, string.format('%.6f', serving), issued, 1}
        end
        if code ~= 0 then
          return {code, 0, string.format('%.6f', serving), issued, 0}
        end
        ticket = redis.call('INCR', KEYS[1])
        if KEYS[3] then redis.call('SET', KEYS[3], ticket, 'PX', ARGV[2]) end
        return {0, ticket, string.format('%.6f', serving), ticket, 0}
        """;

    /// <summary>Poll. KEYS: issued, serving. ARGV: rate per second, the sale's state (as for a join). One round trip per poll.</summary>
    public const string Poll = Serving + """
        local issued = tonumber(redis.call('GET', KEYS[1]) or '0')
        local serving = serving_now(KEYS[2], issued, tonumber(ARGV[1]))
        return {tonumber(ARGV[2]), 0, string.format('%.6f', serving), issued, 0}
        """;
}
