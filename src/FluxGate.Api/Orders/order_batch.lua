-- One call for the orders of one stock bucket (a product, unless split) that arrived together: first records Kafka's
-- acknowledgements, then decides the new orders one after the other, in arrival order, exactly as one call per order
-- would (duplicate key, sold out, purchase limit, then the rate limits or instead a one-time admission token, then
-- reserve). Per order it writes its idempotency key once and its record once per step; everything shared (stock, rate
-- buckets, ledger, the records) is read once and written once per call. Every key is in the bucket's hash slot.
-- The protocol (which KEYS and ARGV, which answers) is written once, in C#: Orders/OrderBatchCall.cs.
--
-- The records hash (KEYS[2], one per slot) holds, per order id, what must survive the api until PostgreSQL has it:
--   "R<reserved at ms>:<ticket>:<idempotency Redis key>[\n<customer id>]"  reserved, Kafka has not answered yet
--   "<acknowledged at ms>\n<event>"                                        Kafka has it (OrderEventRecord)
-- The idempotency key holds "p:<order id>" from the reservation on; the record tells whether that order is still in
-- progress ("R") or accepted (an event, or no record any more: PostgreSQL has it). A key whose order is accepted
-- expires a TTL after Kafka's acknowledgement; one still in progress a TTL plus the in-flight hold after the decision.

local confirms = tonumber(ARGV[1])
local decisions = tonumber(ARGV[2])
local ttl = tonumber(ARGV[3])
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000000 + tonumber(clock[2])
local nowMs = math.floor(now / 1000)
-- Numbers given to redis.call are formatted with printf each time: once here.
local nowMsText = string.format('%d', nowMs)
local keysUntil = 0
local results = {}
local SHARED_KEYS, SHARED_VALUES, VALUES_PER_CONFIRM, VALUES_PER_DECISION = 7, 11, 2, 5
local key = SHARED_KEYS

-- Kafka has these orders: each record becomes the event PostgreSQL must get, each key expires a TTL from now.
if confirms > 0 then
  local ids = {}
  for i = 1, confirms do
    ids[i] = ARGV[SHARED_VALUES + VALUES_PER_CONFIRM * i - 1]
  end
  local records = redis.call('HMGET', KEYS[2], unpack(ids))
  local events = {}
  local function keep(i)
    events[#events + 1] = ids[i]
    events[#events + 1] = nowMsText .. '\n' .. ARGV[SHARED_VALUES + VALUES_PER_CONFIRM * i]
  end
  for i = 1, confirms do
    local record, idempotencyKey = records[i], KEYS[key + i]
    if record and string.byte(record, 1) == 82 then -- 'R': the reservation
      keep(i)
      redis.call('PEXPIRE', idempotencyKey, ARGV[3])
      results[i] = 1
    elseif record then
      results[i] = 2 -- a retried confirm
    else
      local held = redis.call('GET', idempotencyKey)
      if held == 'p:' .. ids[i] or held == 'a:' .. ids[i] then
        results[i] = 2 -- the reconciler found it in PostgreSQL first
      else
        -- Kafka has the order, yet its reservation is gone: Redis lost writes (a failover to a replica that had not
        -- received them). Healed here, in the same atomic call, so no unit sells in between: the order takes a unit
        -- again and its key answers it; a unit or key that another order took meanwhile cannot be healed and is counted.
        local left = tonumber(redis.call('GET', KEYS[1]))
        if not left then
          results[i] = 0 -- the product itself is gone (Redis restarted empty): the admin restore brings it back
        else
          keep(i)
          results[i] = 3
          if left > 0 then
            redis.call('DECR', KEYS[1])
          else
            redis.call('HINCRBY', KEYS[4], 'oversold', 1)
            results[i] = 4
          end
          if held then
            redis.call('HINCRBY', KEYS[4], 'keysReused', 1)
            results[i] = 4
          else
            redis.call('SET', idempotencyKey, 'p:' .. ids[i], 'PX', ARGV[3])
            keysUntil = nowMs + ttl
          end
        end
      end
    end
  end
  key = key + confirms
  if #events > 0 then
    redis.call('HSET', KEYS[2], unpack(events))
    redis.call('HINCRBY', KEYS[4], 'accepted', #events / 2)
  end
end

-- A call of confirms alone reads nothing more: its answer's stock and keys-until are read only with decisions.
local stock = decisions > 0 and tonumber(redis.call('GET', KEYS[1])) or nil
local taken = 0
local stockBuckets = 0
if decisions > 0 then
  local product = redis.call('HMGET', KEYS[4], 'stockBuckets', 'maxPerCustomer', 'startsAt')
  stockBuckets = tonumber(product[1]) or 1
  local limit = stock and tonumber(product[2])
  -- A scheduled sale opens at its start on this clock, the same for every api: before it, no order (an admission
  -- token included) gets further than the waiting room.
  local opensAt = tonumber(product[3])
  local notOpenYet = opensAt ~= nil and nowMs < opensAt
  local pendingTtl = string.format('%d', ttl + tonumber(ARGV[4]))
  local shopperRate = tonumber(ARGV[10]) / stockBuckets
  local shopperBurst = math.max(1, tonumber(ARGV[11]) / stockBuckets)
  local authenticatedRate = tonumber(ARGV[6]) / stockBuckets
  local authenticatedBurst = math.max(1, tonumber(ARGV[7]) / stockBuckets)
  local anonymousRate = tonumber(ARGV[8]) / stockBuckets
  local anonymousBurst = math.max(1, tonumber(ARGV[9]) / stockBuckets)
  local buckets = {}
  local reserved = {}
  local reservedHere = {} -- order id -> true: their records are written at the end of the call

  -- A rate bucket's state ("<tokens>:<µs of the Redis clock>"), read once per call: a bucket never seen (or expired
  -- once full) is full.
  local function bucket(bucketKey, rate, burst)
    local state = buckets[bucketKey]
    if not state then
      local tokens, at = string.match(redis.call('GET', bucketKey) or '', '^([^:]+):(.+)$')
      local left = tonumber(tokens)
      if left == nil then
        left = burst
      else
        left = math.min(burst, left + (now - tonumber(at)) * rate / 1000000)
      end
      state = { left = left, rate = rate, burst = burst, taken = false }
      buckets[bucketKey] = state
    end
    return state
  end

  -- What a known key answers: "p:<id>" while its order waits for Kafka, "a:<id>" once accepted.
  local function answer(held)
    if string.sub(held, 1, 2) == 'p:' and not reservedHere[string.sub(held, 3)] then
      local record = redis.call('HGET', KEYS[2], string.sub(held, 3))
      if not (record and string.byte(record, 1) == 82) then
        return 'a:' .. string.sub(held, 3)
      end
    end
    return held
  end

  -- A refusal is the answer only for a new key: a known key answers its order, whatever the stock or the rate.
  local function refuse(idempotencyKey, code)
    local held = redis.call('GET', idempotencyKey)
    return held and answer(held) or code
  end

  local arg = SHARED_VALUES + VALUES_PER_CONFIRM * confirms
  for i = 1, decisions do
    local orderId, tier, customerId, ticket = ARGV[arg + 1], ARGV[arg + 2], ARGV[arg + 3], ARGV[arg + 4]
    local routedBy = tonumber(ARGV[arg + 5])
    arg = arg + VALUES_PER_DECISION
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
    local customer = 'c:' .. customerId
    if routedBy ~= stockBuckets then
      result = 6
    elseif notOpenYet then
      result = refuse(idempotencyKey, 7)
    elseif not stock then
      result = refuse(idempotencyKey, 3)
    elseif stock - taken <= 0 then
      result = refuse(idempotencyKey, 1)
    elseif limit and (tonumber(redis.call('HGET', KEYS[3], customer)) or 0) >= limit then
      -- Before the rate check, like sold out: a customer at the limit learns it at once, not after the waiting room.
      result = refuse(idempotencyKey, 5)
    else
      -- Both rate buckets must have a token, and a refusal takes none: a shopper over their own rate does not drain
      -- the tier. An admission ticket replaces them (claimed by the api before the call for a split product).
      local own, shared
      if ticket == '' then
        own = shopperBucket and bucket(shopperBucket, shopperRate, shopperBurst)
        shared = tier == 'a' and bucket(KEYS[6], authenticatedRate, authenticatedBurst)
          or bucket(KEYS[7], anonymousRate, anonymousBurst)
        if (own and own.left < 1) or shared.left < 1 then
          result = refuse(idempotencyKey, 2)
        end
      end
      if not result then
        -- The one write of the key: it takes the key only if no order holds it, and says which one does.
        local held = redis.call('SET', idempotencyKey, 'p:' .. orderId, 'NX', 'GET', 'PX', pendingTtl)
        if held then
          result = answer(held)
        elseif usedMarker and not redis.call('SET', usedMarker, '1', 'NX', 'PX', ARGV[5]) then
          redis.call('DEL', idempotencyKey)
          result = 4
        else
          if shared then
            shared.left = shared.left - 1
            shared.taken = true
          end
          if own then
            own.left = own.left - 1
            own.taken = true
          end
          taken = taken + 1
          local record = 'R' .. nowMsText .. ':' .. ticket .. ':' .. idempotencyKey
          if limit then
            redis.call('HINCRBY', KEYS[3], customer, 1)
            -- Undoing gives the allowance back from here (an idempotency key never holds a newline).
            record = record .. '\n' .. customerId
          end
          reserved[#reserved + 1] = orderId
          reserved[#reserved + 1] = record
          reservedHere[orderId] = true
          result = 0
        end
      end
    end
    results[confirms + i] = result
  end

  for bucketKey, state in pairs(buckets) do
    if state.taken then
      -- A bucket left alone refills completely in burst/rate seconds; after that it may as well not exist.
      redis.call('SET', bucketKey, state.left .. ':' .. string.format('%d', now), 'PX', math.ceil(state.burst * 1000 / state.rate) + 1000)
    end
  end
  if taken > 0 then
    redis.call('DECRBY', KEYS[1], taken)
    redis.call('HSET', KEYS[2], unpack(reserved))
    keysUntil = nowMs + tonumber(pendingTtl)
  end
end

-- Keys-until moves in whole seconds: one write per second and bucket under load, not one per call.
if keysUntil > 0 or decisions > 0 then
  local known = tonumber(redis.call('GET', KEYS[5]))
  if keysUntil > 0 and (not known or known < keysUntil) then
    keysUntil = math.ceil(keysUntil / 1000) * 1000
    redis.call('SET', KEYS[5], keysUntil, 'PXAT', keysUntil)
  else
    keysUntil = known or 0
  end
end

table.insert(results, 1, stockBuckets)
table.insert(results, 1, keysUntil)
table.insert(results, 1, stock and (stock - taken) or -1)
return results
