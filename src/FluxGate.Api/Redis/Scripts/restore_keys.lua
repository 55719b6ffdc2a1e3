-- POST /admin/restore: idempotency keys of one product's recent orders, as accepted, each with the rest of its TTL.
-- KEYS[1] keys-until    KEYS[i + 1] idempotency key    ARGV[2i-1] its order id    ARGV[2i] remaining TTL (ms)
-- Returns how many keys were set (a key present already is left alone).
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
local restored = 0
local last = tonumber(redis.call('GET', KEYS[1])) or 0
for i = 2, #KEYS do
  local ttl = tonumber(ARGV[2 * i - 2])
  if redis.call('SET', KEYS[i], 'a:' .. ARGV[2 * i - 3], 'PX', ttl, 'NX') then
    restored = restored + 1
    last = math.max(last, now + ttl)
  end
end
-- No api may answer the product sold out by itself while a restored key still holds.
if last > now then
  redis.call('SET', KEYS[1], last, 'PXAT', last)
end
return restored
