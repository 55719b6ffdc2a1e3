-- POST /cancel: return an accepted order's unit to stock exactly once.
-- KEYS[1] stock    KEYS[2] cancelled marker    ARGV[1] marker TTL (ms)
-- Returns 1 when this call returned the unit, 0 when the order was already cancelled.
if redis.call('SET', KEYS[2], '1', 'NX', 'PX', ARGV[1]) then
  redis.call('INCR', KEYS[1])
  return 1
end
return 0
