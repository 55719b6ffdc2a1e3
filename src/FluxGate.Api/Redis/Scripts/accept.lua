-- Kafka has the order: mark its idempotency key accepted (its TTL counted from now) and turn the in-flight record
-- into an accepted record, which the reconciler keeps until PostgreSQL has the order (and produces again if the
-- Kafka log lost it). Counts the order in the product's ledger.
-- KEYS[1] idempotency key    KEYS[2] in-flight records    KEYS[3] unpersisted events    KEYS[4] ledger
-- ARGV[1] order id           ARGV[2] the OrderAccepted event (JSON)                     ARGV[3] idempotency TTL (ms)
-- Returns 1, or 0 when the reservation was already resolved (by the reconciler, or undone).
local reserved = redis.call('HDEL', KEYS[2], ARGV[1]) == 1
local pending = redis.call('GET', KEYS[1]) == 'p:' .. ARGV[1]
if not (reserved or pending) then
  return 0
end
local clock = redis.call('TIME')
redis.call('ZADD', KEYS[3], tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000), ARGV[2])
redis.call('HINCRBY', KEYS[4], 'accepted', 1)
if pending then
  redis.call('SET', KEYS[1], 'a:' .. ARGV[1], 'PX', ARGV[3])
end
return 1
