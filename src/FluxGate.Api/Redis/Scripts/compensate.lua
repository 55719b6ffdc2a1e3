-- Kafka refused the order (or, for the reconciler, never delivered it): give the unit back and forget the key, so
-- a retry with the same key works. Only the reservation itself may be undone, and only once: its record must still
-- say reserved ("R"; an acknowledged order is never undone). An admission ticket the order used is released too, so
-- the waiting room's retry of the same ticket is not refused as a replay, and the customer's allowance the order
-- counted against (the record names the customer) is given back.
-- KEYS[1] stock    KEYS[2] idempotency key    KEYS[3] records (OrderRecords)    KEYS[4] purchases
-- KEYS[5] admission-used (only when the order used a ticket)
-- ARGV[1] order id
local record = redis.call('HGET', KEYS[3], ARGV[1])
if not (record and string.byte(record, 1) == 82) then
  return 0
end
redis.call('HDEL', KEYS[3], ARGV[1])
if redis.call('GET', KEYS[2]) == 'p:' .. ARGV[1] then
  redis.call('DEL', KEYS[2])
end
redis.call('INCR', KEYS[1])
-- An api answering the product sold out by itself stops: a unit is back.
redis.call('PUBLISH', 'fg:stock-returned', KEYS[1])
if KEYS[5] then
  redis.call('DEL', KEYS[5])
end
local newline = string.find(record, '\n', 1, true)
if newline then
  local customer = 'c:' .. string.sub(record, newline + 1)
  local held = tonumber(redis.call('HGET', KEYS[4], customer))
  if held and held > 1 then
    redis.call('HINCRBY', KEYS[4], customer, -1)
  elseif held then
    redis.call('HDEL', KEYS[4], customer)
  end
end
return 1
