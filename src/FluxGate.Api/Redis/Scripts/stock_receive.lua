-- The units another bucket of the product gave (stock_give.lua) join this bucket's stock, exactly once whoever
-- completes the move (the api that started it, or the reconciler). Units given before the product was initialized
-- again belong to the old sale: they are dropped.
-- KEYS[1] stock    KEYS[2] ledger    KEYS[3] received marker of the transfer
-- ARGV[1] units    ARGV[2] initializedAt of the sale they were given in    ARGV[3] marker TTL (ms)
-- Returns 1 when this call added them, 0 when they were added before or belong to an old sale.
if redis.call('HGET', KEYS[2], 'initializedAt') ~= ARGV[2] then
  return 0
end
if not redis.call('SET', KEYS[3], '1', 'NX', 'PX', ARGV[3]) then
  return 0
end
redis.call('INCRBY', KEYS[1], ARGV[1])
redis.call('HINCRBY', KEYS[2], 'received', ARGV[1])
-- An api answering the product sold out by itself asks Redis again.
redis.call('PUBLISH', 'fg:stock-returned', KEYS[1])
return 1
