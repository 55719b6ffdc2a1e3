-- The reconciler found the order of an unresolved reservation (the api stopped between Kafka and the confirm) in
-- PostgreSQL: the order stands. Its record goes (PostgreSQL has it, so its key answers "duplicate") and its key
-- expires a TTL from now, so a retry learns the original order id.
-- KEYS[1] records (OrderRecords)    KEYS[2] idempotency key    KEYS[3] ledger    KEYS[4] keys-until
-- ARGV[1] order id                  ARGV[2] idempotency TTL (ms)
-- Returns 1, or 0 when the reservation was resolved meanwhile.
local record = redis.call('HGET', KEYS[1], ARGV[1])
if not (record and string.byte(record, 1) == 82) then
  return 0
end
redis.call('HDEL', KEYS[1], ARGV[1])
local held = redis.call('GET', KEYS[2])
if not held or held == 'p:' .. ARGV[1] then
  redis.call('SET', KEYS[2], 'p:' .. ARGV[1], 'PX', ARGV[2])
  -- The key now outlives what keys-until says, perhaps: an api must not answer sold out by itself before it expires.
  local clock = redis.call('TIME')
  local expires = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000) + tonumber(ARGV[2])
  if (tonumber(redis.call('GET', KEYS[4])) or 0) < expires then
    redis.call('SET', KEYS[4], expires, 'PXAT', expires)
  end
end
redis.call('HINCRBY', KEYS[3], 'accepted', 1)
return 1
