-- POST /cancel: return an accepted order's unit to stock exactly once, and keep the cancel event (already in Kafka)
-- as an unpersisted record until PostgreSQL has the order cancelled: the reconciler produces it again if the
-- Kafka log lost it.
-- KEYS[1] stock    KEYS[2] cancelled marker    KEYS[3] unpersisted events    KEYS[4] ledger
-- ARGV[1] marker TTL (ms)    ARGV[2] the OrderCancelled event (JSON)
-- Returns 1 when this call returned the unit, 0 when the order was already cancelled.
if redis.call('SET', KEYS[2], '1', 'NX', 'PX', ARGV[1]) then
  redis.call('INCR', KEYS[1])
  local clock = redis.call('TIME')
  redis.call('ZADD', KEYS[3], tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000), ARGV[2])
  redis.call('HINCRBY', KEYS[4], 'cancelled', 1)
  return 1
end
return 0
