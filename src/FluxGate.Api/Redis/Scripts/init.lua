-- POST /init: set the stock and give the product a fresh, full rate bucket.
-- KEYS[1] stock    KEYS[2] rate bucket    ARGV[1] quantity
redis.call('SET', KEYS[1], ARGV[1])
redis.call('DEL', KEYS[2])
return 1
