-- An order's stock bucket is empty while another bucket of the product has units: this (the other) bucket gives some.
-- The units leave here at once and reach the receiver with stock_receive.lua; until then a record here names them, so
-- the reconciler completes the move when the api that started it stopped in between. Never more than this bucket has.
-- KEYS[1] stock    KEYS[2] ledger    KEYS[3] transfers    KEYS[4] keys-until
-- ARGV[1] units wanted    ARGV[2] transfer id    ARGV[3] the receiving bucket
-- ARGV[4] how many stock buckets the api believes the product has
-- Returns { units given, stock left (-1: never initialized), keys-until (ms), the sale they belong to (the ledger's
-- initializedAt) }. Gives nothing when the product now has another count of buckets (initialized again).
local stock = tonumber(redis.call('GET', KEYS[1]))
local keysUntil = tonumber(redis.call('GET', KEYS[4])) or 0
if not stock then
  return { 0, -1, keysUntil, '' }
end
local ledger = redis.call('HMGET', KEYS[2], 'stockBuckets', 'initializedAt')
if (tonumber(ledger[1]) or 1) ~= tonumber(ARGV[4]) then
  return { 0, stock, keysUntil, '' }
end
local given = math.min(stock, tonumber(ARGV[1]))
if given > 0 then
  local clock = redis.call('TIME')
  local nowMs = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
  redis.call('DECRBY', KEYS[1], given)
  redis.call('HINCRBY', KEYS[2], 'given', given)
  redis.call('HSET', KEYS[3], ARGV[2], given .. ':' .. nowMs .. ':' .. (ledger[2] or '') .. ':' .. ARGV[3])
end
return { given, stock - given, keysUntil, ledger[2] or '' }
