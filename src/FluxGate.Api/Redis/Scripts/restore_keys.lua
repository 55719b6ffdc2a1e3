-- POST /admin/restore: idempotency keys of one product's recent orders, as accepted, each with the rest of its TTL.
-- KEYS[i] idempotency key    ARGV[2i-1] its order id    ARGV[2i] remaining TTL (ms)
-- Returns how many keys were set (a key present already is left alone).
local restored = 0
for i, key in ipairs(KEYS) do
  if redis.call('SET', key, 'a:' .. ARGV[2 * i - 1], 'PX', ARGV[2 * i], 'NX') then
    restored = restored + 1
  end
end
return restored
