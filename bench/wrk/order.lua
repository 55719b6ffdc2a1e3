-- POST /order load for wrk 4.x: wrk -s order.lua <api-url> -- <productId> <mode> <runTag>
--   mode unique    (default) every request carries its own x-idempotency-key and userId
--   mode duplicate every request carries the same key and user (a duplicate storm)
-- Keys are <runTag>t<thread>-<counter>; the counter starts at 1e9 so it always has 10 digits and the
-- Content-Length is fixed: a request is one five-part concatenation, nothing else is built per request.
-- done() prints one line "@@BENCH {json}" with latency percentiles, statuses and the 200s split by body.

local threads = {}

function setup(thread)
  threads[#threads + 1] = thread
  thread:set("thread_number", #threads)
end

local head, middle, tail, fixed
local counter = 1000000000
statuses = {}
accepted = 0   -- 200 {"status":"success"}
ignored = 0    -- 200 {"status":"ignored"} (duplicate)

function init(args)
  local product = args[1] or error("usage: -- <productId> [unique|duplicate] [runTag]")
  local mode = args[2] or "unique"
  local tag = (args[3] or "run") .. "t" .. thread_number
  local host = wrk.headers["Host"]

  local function request_text(key, user)
    local body = '{"productId":"' .. product .. '","userId":"' .. user .. '"}'
    return "POST /order HTTP/1.1\r\nHost: " .. host ..
      "\r\nContent-Type: application/json\r\nContent-Length: " .. #body ..
      "\r\nx-idempotency-key: " .. key .. "\r\n\r\n" .. body
  end

  if mode == "duplicate" then
    fixed = request_text("dup-" .. (args[3] or "run"), "dup-user")
  elseif mode == "unique" then
    -- Split a sample request around its two counter positions; the sample's counter has the same width.
    local sample = request_text(tag .. "-" .. counter, "u" .. tag .. "-" .. counter)
    local first = sample:find(tostring(counter), 1, true)
    head = sample:sub(1, first - 1)
    local rest = sample:sub(first + 10)
    local second = rest:find(tostring(counter), 1, true)
    middle = rest:sub(1, second - 1)
    tail = rest:sub(second + 10)
  else
    error("unknown mode " .. mode)
  end
end

function request()
  if fixed then
    return fixed
  end
  counter = counter + 1
  return head .. counter .. middle .. counter .. tail
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
  if status == 200 then
    if body:find('"success"', 1, true) then
      accepted = accepted + 1
    elseif body:find('"ignored"', 1, true) then
      ignored = ignored + 1
    end
  end
end

function done(summary, latency, requests)
  local total = {}
  local success, duplicate = 0, 0
  for _, thread in ipairs(threads) do
    for status, count in pairs(thread:get("statuses")) do
      total[status] = (total[status] or 0) + count
    end
    success = success + thread:get("accepted")
    duplicate = duplicate + thread:get("ignored")
  end
  local parts = {}
  for status, count in pairs(total) do
    parts[#parts + 1] = string.format('"%d":%d', status, count)
  end
  local e = summary.errors
  io.write(string.format(
    '@@BENCH {"duration_us":%d,"requests":%d,"bytes":%d,' ..
    '"latency_us":{"mean":%.1f,"max":%d,"p50":%d,"p90":%d,"p99":%d,"p999":%d},' ..
    '"statuses":{%s},"accepted":%d,"ignored":%d,' ..
    '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d}}\n',
    summary.duration, summary.requests, summary.bytes,
    latency.mean, latency.max, latency:percentile(50), latency:percentile(90), latency:percentile(99), latency:percentile(99.9),
    table.concat(parts, ","), success, duplicate,
    e.connect, e.read, e.write, e.status, e.timeout))
end
