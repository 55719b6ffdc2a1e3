-- Kafka refused the order: give the unit back and forget the key, so a retry with the same key works.
-- Only the request that reserved (same order id) may undo it, and only once.
-- KEYS[1] stock    KEYS[2] idempotency key    ARGV[1] order id
if redis.call('GET', KEYS[2]) == 'p:' .. ARGV[1] then
  redis.call('DEL', KEYS[2])
  redis.call('INCR', KEYS[1])
  return 1
end
return 0
