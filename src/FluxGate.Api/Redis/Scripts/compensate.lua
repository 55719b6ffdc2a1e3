-- Kafka refused the order: give the unit back and forget the key, so a retry with the same key works.
-- Only the request that reserved (same order id) may undo it, and only once. An admission ticket the order
-- used is released too, so the waiting room's retry of the same ticket is not refused as a replay.
-- KEYS[1] stock    KEYS[2] idempotency key    KEYS[3] admission-used (only when the order used a ticket)
-- ARGV[1] order id
if redis.call('GET', KEYS[2]) == 'p:' .. ARGV[1] then
  redis.call('DEL', KEYS[2])
  redis.call('INCR', KEYS[1])
  if KEYS[3] then
    redis.call('DEL', KEYS[3])
  end
  return 1
end
return 0
