-- One call for the orders of one product that arrived together: first confirms the orders Kafka has acknowledged,
-- then decides the new ones one after the other, in arrival order, exactly as one call per order would (duplicate key,
-- sold out, the customer's purchase limit, the rate limits or instead a one-time admission token, then reserve).
-- Shared state (stock, buckets, clock) is read once and written once; every key carries the hash tag of the product,
-- or of the one stock bucket of it that the call is for, so the call is valid on a cluster. A product split over K
-- stock buckets enforces 1/K of its rates in each (its orders spread evenly over them).
--
-- KEYS[1] stock    KEYS[2] in-flight records    KEYS[3] purchases    KEYS[4] unpersisted events    KEYS[5] ledger
-- KEYS[6] keys-until (when the product's last idempotency key expires: what lets an api answer sold-out alone)
-- KEYS[7] the authenticated tier's rate bucket    KEYS[8] the anonymous tier's (both the product's bucket without tiers)
-- then per confirm: its idempotency key, its status index (only when the order id carries this call's slot); then per
-- decision: its idempotency key, the shopper's rate bucket (only with a per-shopper limit), the admission-used marker
-- (only with a ticket, and only for a product of one stock bucket: with several, the api claims the ticket before the
-- call, in the ticket's own bucket).
--
-- ARGV[1] confirms    ARGV[2] decisions    ARGV[3] idempotency TTL (ms)    ARGV[4] how long an unresolved "p:" key
-- outlives its TTL (ms)    ARGV[5] admission-used TTL (ms)    ARGV[6] ARGV[7] authenticated permits/s, burst
-- ARGV[8] ARGV[9] anonymous permits/s, burst    ARGV[10] ARGV[11] per-shopper permits/s (0: none), burst
-- then per confirm: order id, the OrderAccepted event (OrderEventRecord), the status index's TTL (ms; "" when the api
-- writes the index apart); then per decision: order id, tier ("a" or "n"), customer id, admission ticket or "", how many
-- stock buckets the api routed it by (when the product now has another count, it was initialized again meanwhile: the
-- order is not decided, code 6, and the answer says the count).
--
-- In-flight record: order id -> "<reserved at ms>:<ticket>:<idempotency key>", plus "\n<customer id>" when the order
-- counts against a purchase limit.
--
-- Returns { stock left (-1: never initialized), keys-until (ms), the product's count of stock buckets (only known with
-- decisions: else 0), a result per confirm, a result per decision }.
-- A confirm: 1; 2 confirmed already (a retry); 3 its reservation was lost and is healed (a unit taken again, the key
-- set); 4 lost and not healable (no unit left, or another order holds the key: counted as oversold / keysReused in
-- the ledger); 0 nothing here (the product is gone from Redis, or the order was decided in another stock bucket).
-- A decision: the key's value ("p:<id>" in flight, "a:<id>" accepted) for a known key, else 0 reserved, 1 sold out,
-- 2 rate limited, 3 never initialized, 4 admission token already used, 5 purchase limit reached, 6 routed by another
-- count of stock buckets.

local confirms = tonumber(ARGV[1])
local decisions = tonumber(ARGV[2])
local ttl = tonumber(ARGV[3])
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000000 + tonumber(clock[2])
local nowMs = math.floor(now / 1000)
-- Numbers given to redis.call are formatted with printf each time (one per order for a score or a TTL): once here.
local nowMsText = string.format('%d', nowMs)
local keysUntil = 0
local results = {}
local lastKey = 8 -- the shared keys; the confirms' and the decisions' keys follow

-- Confirms: the key answers "duplicate" from now on, the event waits in Redis until PostgreSQL has it, and the status
-- index finds the order by id.
if confirms > 0 then
  local ids = {}
  for i = 1, confirms do
    ids[i] = ARGV[9 + 3 * i]
  end
  local records = redis.call('HMGET', KEYS[2], unpack(ids))
  local events = {}
  for i = 1, confirms do
    local key = KEYS[lastKey + 1]
    local event, indexTtl = ARGV[10 + 3 * i], ARGV[11 + 3 * i]
    lastKey = lastKey + 1
    -- Kafka has the order whatever its reservation became: the index finds it by id until PostgreSQL has it.
    if indexTtl ~= '' then
      redis.call('SET', KEYS[lastKey + 1], event, 'PX', indexTtl)
      lastKey = lastKey + 1
    end
    local held = redis.call('GET', key)
    local pending = held == 'p:' .. ids[i]
    if records[i] or pending then
      events[#events + 1] = nowMsText
      events[#events + 1] = event
      if pending then
        redis.call('SET', key, 'a:' .. ids[i], 'PX', ARGV[3])
        keysUntil = nowMs + ttl
      end
      results[i] = 1
    elseif held == 'a:' .. ids[i] then
      results[i] = 2
    elseif indexTtl == '' then
      -- Decided in another stock bucket (the product was initialized again with another split meanwhile): its
      -- reservation is there, for the reconciler.
      results[i] = 0
    else
      -- Kafka has the order, yet its reservation is gone: Redis lost writes (a failover to a replica that had not
      -- received them). Healed here, in the same atomic call, so no unit sells in between: the order takes a unit
      -- again and its key answers it; a unit or key that another order took meanwhile cannot be healed and is counted.
      local left = tonumber(redis.call('GET', KEYS[1]))
      if not left then
        results[i] = 0 -- the product itself is gone (Redis restarted empty): the admin restore brings it back
      else
        events[#events + 1] = nowMsText
        events[#events + 1] = event
        results[i] = 3
        if left > 0 then
          redis.call('DECR', KEYS[1])
        else
          redis.call('HINCRBY', KEYS[5], 'oversold', 1)
          results[i] = 4
        end
        if held then
          redis.call('HINCRBY', KEYS[5], 'keysReused', 1)
          results[i] = 4
        else
          redis.call('SET', key, 'a:' .. ids[i], 'PX', ARGV[3])
          keysUntil = nowMs + ttl
        end
      end
    end
  end
  redis.call('HDEL', KEYS[2], unpack(ids))
  if #events > 0 then
    redis.call('ZADD', KEYS[4], unpack(events))
    redis.call('HINCRBY', KEYS[5], 'accepted', #events / 2)
  end
end

local stock = tonumber(redis.call('GET', KEYS[1]))
local taken = 0
local stockBuckets = 0
if decisions > 0 then
  stockBuckets = tonumber(redis.call('HGET', KEYS[5], 'stockBuckets')) or 1
  local limit = stock and tonumber(redis.call('HGET', KEYS[3], 'max'))
  local pendingTtl = ttl + tonumber(ARGV[4])
  local pendingTtlText = string.format('%d', pendingTtl)
  local shopperRate = tonumber(ARGV[10]) / stockBuckets
  local shopperBurst = math.max(1, tonumber(ARGV[11]) / stockBuckets)
  local authenticatedRate = tonumber(ARGV[6]) / stockBuckets
  local authenticatedBurst = math.max(1, tonumber(ARGV[7]) / stockBuckets)
  local anonymousRate = tonumber(ARGV[8]) / stockBuckets
  local anonymousBurst = math.max(1, tonumber(ARGV[9]) / stockBuckets)
  local buckets = {}
  local reserved = {}

  -- A bucket's state, read once per call: a bucket never seen (or expired once full) is full.
  local function bucket(key, rate, burst)
    local state = buckets[key]
    if not state then
      local stored = redis.call('HMGET', key, 'tokens', 'ts')
      local left = tonumber(stored[1])
      if left == nil then
        left = burst
      else
        left = math.min(burst, left + (now - tonumber(stored[2])) * rate / 1000000)
      end
      state = { left = left, rate = rate, burst = burst, taken = false }
      buckets[key] = state
    end
    return state
  end

  local arg = 11 + 3 * confirms
  local key = lastKey
  for i = 1, decisions do
    local orderId, tier, customerId, ticket = ARGV[arg + 1], ARGV[arg + 2], ARGV[arg + 3], ARGV[arg + 4]
    local routedBy = tonumber(ARGV[arg + 5])
    arg = arg + 5
    local idempotencyKey = KEYS[key + 1]
    key = key + 1
    local shopperBucket, usedMarker
    if shopperRate > 0 then
      shopperBucket = KEYS[key + 1]
      key = key + 1
    end
    if ticket ~= '' and routedBy == 1 then
      usedMarker = KEYS[key + 1]
      key = key + 1
    end

    local result
    local held = routedBy == stockBuckets and redis.call('GET', idempotencyKey)
    if routedBy ~= stockBuckets then
      result = 6
    elseif held then
      result = held
    elseif not stock then
      result = 3
    elseif stock - taken <= 0 then
      result = 1
    else
      -- Before the rate check, like sold out: a customer at the limit learns it at once, not after the waiting room.
      local customer = 'c:' .. customerId
      if limit and (tonumber(redis.call('HGET', KEYS[3], customer)) or 0) >= limit then
        result = 5
      elseif usedMarker then
        if not redis.call('SET', usedMarker, '1', 'NX', 'PX', ARGV[5]) then
          result = 4
        end
      elseif ticket ~= '' then
        -- Claimed by the api before the call (several stock buckets): it replaces the rate buckets all the same.
        result = nil
      else
        -- Both buckets must have a token, and a refusal takes none: a shopper over their own rate does not drain the tier.
        local own = shopperBucket and bucket(shopperBucket, shopperRate, shopperBurst)
        local shared = tier == 'a' and bucket(KEYS[7], authenticatedRate, authenticatedBurst)
          or bucket(KEYS[8], anonymousRate, anonymousBurst)
        if (own and own.left < 1) or shared.left < 1 then
          result = 2
        else
          shared.left = shared.left - 1
          shared.taken = true
          if own then
            own.left = own.left - 1
            own.taken = true
          end
        end
      end
      if not result then
        taken = taken + 1
        local record = nowMsText .. ':' .. ticket .. ':' .. idempotencyKey
        if limit then
          redis.call('HINCRBY', KEYS[3], customer, 1)
          -- Compensation and the reconciler give the allowance back from here (the idempotency key never holds a newline).
          record = record .. '\n' .. customerId
        end
        -- The in-flight record keeps the reservation findable until Kafka's answer confirms or undoes it, so a crash in
        -- between is resolved by the reconciler; until then the key must not expire, or a retry could order twice.
        redis.call('SET', idempotencyKey, 'p:' .. orderId, 'PX', pendingTtlText)
        keysUntil = nowMs + pendingTtl
        reserved[#reserved + 1] = orderId
        reserved[#reserved + 1] = record
        result = 0
      end
    end
    results[confirms + i] = result
  end

  for bucketKey, state in pairs(buckets) do
    if state.taken then
      redis.call('HSET', bucketKey, 'tokens', state.left, 'ts', now)
      -- A bucket left alone refills completely in burst/rate seconds; after that it may as well not exist.
      redis.call('PEXPIRE', bucketKey, math.ceil(state.burst * 1000 / state.rate) + 1000)
    end
  end
  if taken > 0 then
    redis.call('DECRBY', KEYS[1], taken)
    redis.call('HSET', KEYS[2], unpack(reserved))
  end
end

if keysUntil > 0 then
  local known = tonumber(redis.call('GET', KEYS[6]))
  if not known or known < keysUntil then
    redis.call('SET', KEYS[6], keysUntil, 'PXAT', keysUntil)
  else
    keysUntil = known
  end
else
  keysUntil = tonumber(redis.call('GET', KEYS[6])) or 0
end

table.insert(results, 1, stockBuckets)
table.insert(results, 1, keysUntil)
table.insert(results, 1, stock and (stock - taken) or -1)
return results
