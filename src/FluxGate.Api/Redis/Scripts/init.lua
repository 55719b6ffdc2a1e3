-- POST /init: set the stock, give the product a fresh, full rate bucket and start its ledger (what the invariant
-- report counts from: initial stock, when, orders accepted and cancelled since).
-- KEYS[1] stock    KEYS[2] rate bucket    KEYS[3] ledger
-- ARGV[1] quantity    ARGV[2] initialized at (unix ms, the StockInitialized event's time)
redis.call('SET', KEYS[1], ARGV[1])
redis.call('DEL', KEYS[2])
redis.call('DEL', KEYS[3])
redis.call('HSET', KEYS[3], 'initial', ARGV[1], 'initializedAt', ARGV[2], 'accepted', 0, 'cancelled', 0)
return 1
