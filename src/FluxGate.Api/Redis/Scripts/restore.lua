-- POST /admin/restore: a product Redis lost comes back from PostgreSQL, only while Redis still lacks it. Its
-- idempotency keys are restored first (restore_keys.lua): until the stock exists every new order is refused.
-- KEYS[1] stock    KEYS[2] ledger
-- ARGV[1] stock    ARGV[2] initial stock    ARGV[3] initialized at (unix ms)    ARGV[4] accepted    ARGV[5] cancelled
-- ARGV[6] when a scheduled drop opens (unix ms), or "": the order script keeps refusing before it
-- Returns 1, or 0 when the product exists (initialized or restored meanwhile).
if redis.call('EXISTS', KEYS[1]) == 1 then
  return 0
end
redis.call('SET', KEYS[1], ARGV[1])
redis.call('PUBLISH', 'fg:stock-returned', KEYS[1])
redis.call('DEL', KEYS[2])
redis.call('HSET', KEYS[2], 'initial', ARGV[2], 'initializedAt', ARGV[3], 'accepted', ARGV[4], 'cancelled', ARGV[5])
if ARGV[6] ~= '' then
  redis.call('HSET', KEYS[2], 'startsAt', ARGV[6])
end
return 1
