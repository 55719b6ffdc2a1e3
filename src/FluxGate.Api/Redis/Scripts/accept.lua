-- Kafka has the order: mark its idempotency key accepted, keeping the key's TTL.
-- KEYS[1] idempotency key    ARGV[1] order id
if redis.call('GET', KEYS[1]) == 'p:' .. ARGV[1] then
  redis.call('SET', KEYS[1], 'a:' .. ARGV[1], 'KEEPTTL')
  return 1
end
return 0
