-- Decides one order atomically. Checks in this order: duplicate key, sold out, the customer's purchase limit, the
-- rate limits (the shopper's own bucket and the tier's bucket, or instead a one-time admission token), then
-- reserves. Every key carries the product's hash tag, so this is valid on a cluster.
--
-- KEYS[1] stock            KEYS[2] the tier's rate bucket (the product's when it has no tiers)
-- KEYS[3] idempotency key
-- KEYS[4] in-flight record (hash: order id -> "<reserved at ms>:<ticket>:<idempotency key>", plus "\n<customer id>"
--         when the order counts against a purchase limit)
-- KEYS[5] purchases        (hash: "max" -> the product's limit per customer, "c:<customer id>" -> units held)
-- KEYS[6] the shopper's rate bucket
-- KEYS[7] admission-used   (only when the request carries a verified admission token)
-- ARGV[1] order id         ARGV[2] idempotency TTL (ms)
-- ARGV[3] tier permits/second   ARGV[4] tier burst            ARGV[5] admission-used TTL (ms)
-- ARGV[6] how long an unresolved "p:" key outlives its TTL (ms)    ARGV[7] admission ticket, or ""
-- ARGV[8] customer id      ARGV[9] shopper permits/second (0: no per-shopper limit)    ARGV[10] shopper burst
--
-- Returns the key's value ("p:<id>" in flight, "a:<id>" accepted) for a known key, else an integer:
-- 0 reserved, 1 sold out, 2 rate limited, 3 never initialized, 4 admission token already used, 5 purchase limit reached.

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

-- Before the rate check, like sold out: a customer at the limit learns it at once, not after the waiting room.
local customer = 'c:' .. ARGV[8]
local purchases = redis.call('HMGET', KEYS[5], 'max', customer)
local limit = tonumber(purchases[1])
if limit and (tonumber(purchases[2]) or 0) >= limit then
  return 5
end

local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000000 + tonumber(clock[2])

-- Tokens in a bucket now: a bucket never seen (or expired once full) is full.
local function tokens(key, rate, burst)
  local bucket = redis.call('HMGET', key, 'tokens', 'ts')
  local left = tonumber(bucket[1])
  if left == nil then
    return burst
  end
  return math.min(burst, left + (now - tonumber(bucket[2])) * rate / 1000000)
end

local function take(key, left, rate, burst)
  redis.call('HSET', key, 'tokens', left - 1, 'ts', now)
  -- A bucket left alone refills completely in burst/rate seconds; after that it may as well not exist.
  redis.call('PEXPIRE', key, math.ceil(burst * 1000 / rate) + 1000)
end

if KEYS[7] then
  if not redis.call('SET', KEYS[7], '1', 'NX', 'PX', ARGV[5]) then
    return 4
  end
else
  -- Both buckets must have a token, and a refusal takes none: a shopper over their own rate does not drain the tier.
  local shopperRate = tonumber(ARGV[9])
  local shopperBurst = tonumber(ARGV[10])
  local shopperTokens
  if shopperRate > 0 then
    shopperTokens = tokens(KEYS[6], shopperRate, shopperBurst)
    if shopperTokens < 1 then
      return 2
    end
  end
  local rate = tonumber(ARGV[3])
  local burst = tonumber(ARGV[4])
  local tierTokens = tokens(KEYS[2], rate, burst)
  if tierTokens < 1 then
    return 2
  end
  take(KEYS[2], tierTokens, rate, burst)
  if shopperTokens then
    take(KEYS[6], shopperTokens, shopperRate, shopperBurst)
  end
end

redis.call('DECR', KEYS[1])
local record = math.floor(now / 1000) .. ':' .. ARGV[7] .. ':' .. KEYS[3]
if limit then
  redis.call('HINCRBY', KEYS[5], customer, 1)
  -- Compensation and the reconciler give the allowance back from here (the idempotency key never holds a newline).
  record = record .. '\n' .. ARGV[8]
end
-- The in-flight record keeps the reservation findable until Kafka's answer confirms or undoes it, so a crash in
-- between is resolved by the reconciler; until then the key must not expire, or a retry could order twice.
redis.call('SET', KEYS[3], 'p:' .. ARGV[1], 'PX', tonumber(ARGV[2]) + tonumber(ARGV[6]))
redis.call('HSET', KEYS[4], ARGV[1], record)
return 0
