namespace FluxGate.WaitingRoom.Queue;

/// <summary>
/// The queue's two Lua scripts. "Now serving" is not pushed by a ticker: it is a line through time
/// (<c>n + (now − ts)·rate</c>, capped at the last ticket issued) evaluated lazily on the Redis clock (<c>TIME</c>),
/// so any number of room instances agree and nothing runs while nobody asks. The base point is rewritten only
/// when the cap bites (the room is empty) or the rate changes; a poll of a non-empty queue is read-only.
/// A scheduled sale (<c>startsAt</c>) takes tickets before its start (the pre-queue) but serves nobody; the first call
/// at or after the start, from whichever room instance, closes the pre-queue (tickets <c>from</c>+1 to <c>to</c>), keeps
/// the seed its shuffle is drawn from (<see cref="PreQueueShuffle"/>) and starts the line at the start itself.
/// Every key carries the product's hash tag, so the scripts are valid on Redis Cluster.
/// Reply: <c>{code, ticket, serving (string), issued, rejoined, phase, from, to, seed}</c>; code 0 = open, 1 = sold out,
/// 2 = not on sale; phase 0 = not scheduled, 1 = before the start, 2 = started, 3 = started by this call.
/// </summary>
public static class QueueScripts
{
    private const string Serving = """
        local t = redis.call('TIME')
        local now = tonumber(t[1]) * 1000000 + tonumber(t[2])

        local function serving_now(key, issued, rate)
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

        -- A scheduled sale's line (see the class), read once: {phase, from, to, seed}; phase 0 none, 1 before the start,
        -- 2 started, 3 started by this call.
        local function schedule(key, issued, rate, startsAt, seed)
          if startsAt == nil then return {0, 0, 0, ''} end
          local line = redis.call('HMGET', key, 'start', 'from', 'to', 'seed')
          local thisSale = tonumber(line[1]) == startsAt
          if now < startsAt * 1000 then
            if not thisSale then
              -- The first call of this sale: its pre-queue is every ticket taken from now until the start.
              redis.call('DEL', key)
              redis.call('HSET', key, 'start', startsAt, 'from', issued)
              return {1, issued, 0, ''}
            end
            return {1, tonumber(line[2]), 0, ''}
          end
          if thisSale and line[3] then return {2, tonumber(line[2]), tonumber(line[3]), line[4]} end
          local from = thisSale and tonumber(line[2]) or issued
          redis.call('HSET', key, 'start', startsAt, 'from', from, 'to', issued, 'seed', seed,
            'n', from, 'ts', startsAt * 1000, 'rate', rate)
          return {3, from, issued, seed}
        end

        local function reply(code, ticket, serving, issued, rejoined, line)
          return {code, ticket, string.format('%.6f', serving), issued, rejoined, line[1], line[2], line[3], line[4]}
        end

        """;

    /// <summary>
    /// Join. KEYS: issued, serving[, owner]. ARGV: rate per second, owner TTL ms, the sale's state (<see cref="SaleState"/>:
    /// 0 open, 1 sold out, 2 not on sale, as the api says), its start (unix ms, or "" for none), a fresh seed (hex) for the
    /// shuffle should this call be the start's first. With an owner key, a shopper who comes back keeps the ticket (and its
    /// TTL is renewed). Nobody joins the line of a product that is sold out or not on sale.
    /// </summary>
    public const string Join = Serving + """
        local rate = tonumber(ARGV[1])
        local issued = tonumber(redis.call('GET', KEYS[1]) or '0')
        local line = schedule(KEYS[2], issued, rate, tonumber(ARGV[4]), ARGV[5])
        local serving = line[1] == 1 and 0 or serving_now(KEYS[2], issued, rate)
        local code = tonumber(ARGV[3])
        local ticket = false
        if KEYS[3] then ticket = tonumber(redis.call('GET', KEYS[3])) end
        if ticket and ticket <= issued then
          redis.call('PEXPIRE', KEYS[3], ARGV[2])
          return reply(code, ticket, serving, issued, 1, line)
        end
        if code ~= 0 then
          return reply(code, 0, serving, issued, 0, line)
        end
        ticket = redis.call('INCR', KEYS[1])
        if KEYS[3] then redis.call('SET', KEYS[3], ticket, 'PX', ARGV[2]) end
        return reply(0, ticket, serving, ticket, 0, line)
        """;

    /// <summary>
    /// Poll. KEYS: issued, serving. ARGV: rate per second, the sale's state, its start and a seed (as for a join). One round
    /// trip per poll.
    /// </summary>
    public const string Poll = Serving + """
        local rate = tonumber(ARGV[1])
        local issued = tonumber(redis.call('GET', KEYS[1]) or '0')
        local line = schedule(KEYS[2], issued, rate, tonumber(ARGV[3]), ARGV[4])
        local serving = line[1] == 1 and 0 or serving_now(KEYS[2], issued, rate)
        return reply(tonumber(ARGV[2]), 0, serving, issued, 0, line)
        """;
}
