-- POST /init: set the stock, give the product fresh, full rate buckets (the product's and each tier's), set its
-- purchase limit with every customer's count at zero, and start its ledger (what the invariant report counts from:
-- initial stock, when, orders accepted and cancelled since, units given to and received from its other stock buckets).
-- Per-shopper buckets are left to expire (seconds). For a product split over stock buckets, one call per bucket, with
-- the bucket's share of the stock; units still moving between buckets of the previous sale are dropped.
-- KEYS[1] stock    KEYS[2] rate bucket    KEYS[3] ledger    KEYS[4] purchases    KEYS[5] transfers
-- KEYS[6…] the tiers' rate buckets
-- ARGV[1] quantity    ARGV[2] initialized at (unix ms, the StockInitialized event's time)
-- ARGV[3] units per customer, or "" for no limit    ARGV[4] how many stock buckets the product has
-- ARGV[5] when the sale opens (unix ms, on the Redis clock the order script reads), or "" for at once
redis.call('SET', KEYS[1], ARGV[1])
-- An api answering the product sold out by itself stops (the stock may have come back).
redis.call('PUBLISH', 'fg:stock-returned', KEYS[1])
redis.call('DEL', KEYS[2], KEYS[4], KEYS[5])
for i = 6, #KEYS do
  redis.call('DEL', KEYS[i])
end
redis.call('DEL', KEYS[3])
redis.call('HSET', KEYS[3], 'initial', ARGV[1], 'initializedAt', ARGV[2], 'accepted', 0, 'cancelled', 0,
  'given', 0, 'received', 0, 'stockBuckets', ARGV[4])
-- Beside the count of buckets: the order script reads both with one command.
if ARGV[3] ~= '' then
  redis.call('HSET', KEYS[3], 'maxPerCustomer', ARGV[3])
end
if ARGV[5] ~= '' then
  redis.call('HSET', KEYS[3], 'startsAt', ARGV[5])
end
return 1
