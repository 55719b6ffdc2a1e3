-- Decides one order atomically. Checks in this order: duplicate key, sold out, rate bucket (or one-time
-- admission token), then reserves. Every key carries the product's hash tag, so this is valid on a cluster.
--
-- KEYS[1] stock            KEYS[2] rate bucket      KEYS[3] idempotency key
-- KEYS[4] in-flight record (hash: order id -> "<reserved at ms>:<ticket>:<idempotency key>")
-- KEYS[5] admission-used   (only when the request carries a verified admission token)
-- ARGV[1] order id         ARGV[2] idempotency TTL (ms)
-- ARGV[3] permits/second   ARGV[4] burst            ARGV[5] admission-used TTL (ms)
-- ARGV[6] how long an unresolved "p:" key outlives its TTL (ms)    ARGV[7] admission ticket, or ""
--
-- Returns the key's value ("p:<id>" in flight, "a:<id>" accepted) for a known key, else an integer:
-- 0 reserved, 1 sold out, 2 rate limited, 3 never initialized, 4 admission token already used.

local held = redis.call('GET', KEYS[3])
if held then
  return held
end

local stock = redis.call('GET', KEYS[1])
if not stock then
  return 3
end
if tonumber(stock) <= 0 then
  return 1
end

local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000000 + tonumber(clock[2])
if KEYS[5] then
  if not redis.call('SET', KEYS[5], '1', 'NX', 'PX', ARGV[5]) then
    return 4
  end
else
  local rate = tonumber(ARGV[3])
  local burst = tonumber(ARGV[4])
  local bucket = redis.call('HMGET', KEYS[2], 'tokens', 'ts')
  local tokens = tonumber(bucket[1])
  if tokens == nil then
    tokens = burst
  else
    tokens = math.min(burst, tokens + (now - tonumber(bucket[2])) * rate / 1000000)
  end
  if tokens < 1 then
    return 2
  end
  redis.call('HSET', KEYS[2], 'tokens', tokens - 1, 'ts', now)
  -- A bucket left alone refills completely in burst/rate seconds; after that it may as well not exist.
  redis.call('PEXPIRE', KEYS[2], math.ceil(burst * 1000 / rate) + 1000)
end

redis.call('DECR', KEYS[1])
-- The in-flight record keeps the reservation findable until Kafka's answer confirms or undoes it, so a crash in
-- between is resolved by the reconciler; until then the key must not expire, or a retry could order twice.
redis.call('SET', KEYS[3], 'p:' .. ARGV[1], 'PX', tonumber(ARGV[2]) + tonumber(ARGV[6]))
redis.call('HSET', KEYS[4], ARGV[1], math.floor(now / 1000) .. ':' .. ARGV[7] .. ':' .. KEYS[3])
return 0
