-- POST /cancel: return an accepted order's unit to stock exactly once, and keep the cancel event (already in Kafka)
-- as a record until PostgreSQL has the order cancelled: the reconciler produces it again if the
-- Kafka log lost it. The customer's allowance comes back too, unless the order predates the product's last init
-- (which started everyone's counts afresh).
-- KEYS[1] stock    KEYS[2] cancelled marker    KEYS[3] records (OrderRecords)    KEYS[4] ledger    KEYS[5] purchases
-- ARGV[1] marker TTL (ms)    ARGV[2] the OrderCancelled event (OrderEventRecord)    ARGV[3] customer id
-- ARGV[4] when the order was accepted (unix ms)    ARGV[5] the cancel's field in the records
-- Returns 1 when this call returned the unit, 0 when the order was already cancelled.
if redis.call('SET', KEYS[2], '1', 'NX', 'PX', ARGV[1]) then
  redis.call('INCR', KEYS[1])
  -- An api answering the product sold out by itself stops: a unit is back.
  redis.call('PUBLISH', 'fg:stock-returned', KEYS[1])
  local clock = redis.call('TIME')
  redis.call('HSET', KEYS[3], ARGV[5], string.format('%d', tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)) .. '\n' .. ARGV[2])
  redis.call('HINCRBY', KEYS[4], 'cancelled', 1)
  local initializedAt = tonumber(redis.call('HGET', KEYS[4], 'initializedAt'))
  if not initializedAt or tonumber(ARGV[4]) >= initializedAt then
    local customer = 'c:' .. ARGV[3]
    local held = tonumber(redis.call('HGET', KEYS[5], customer))
    if held and held > 1 then
      redis.call('HINCRBY', KEYS[5], customer, -1)
    elseif held then
      redis.call('HDEL', KEYS[5], customer)
    end
  end
  return 1
end
return 0
