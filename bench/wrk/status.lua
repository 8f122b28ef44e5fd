-- wrk script for `make bench`: counts answers by status class in every thread and, when
-- the run is over, prints one line "BENCH_JSON {...}" that bench/load.py reads.
-- With WRK_IF_NONE_MATCH set, every request carries it (phones polling /stage.json); with
-- WRK_DELAY_MS set, each connection waits that long (±20 %) between requests, like a phone
-- polling every few seconds, instead of asking again at once (WRK_DELAY_UNIFORM=1: 0 to
-- WRK_DELAY_MS, phones arriving at random over a window).

local etag = os.getenv("WRK_IF_NONE_MATCH")
if etag ~= nil and etag ~= "" then
  wrk.headers["If-None-Match"] = etag
end

local pause = tonumber(os.getenv("WRK_DELAY_MS") or "")
local uniform = os.getenv("WRK_DELAY_UNIFORM") == "1"
if pause ~= nil and pause > 0 then
  -- wrk waits this long before every request, the first one included. Uniform: anywhere
  -- from 0 to the pause (phones arriving over a window); otherwise the pause ±20 %.
  function delay()
    if uniform then
      return math.random(0, math.floor(pause))
    end
    return math.random(math.floor(pause * 0.8), math.floor(pause * 1.2))
  end
end

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  n2xx, n3xx, n304, nother = 0, 0, 0, 0
end

function response(status, headers, body)
  if status >= 200 and status < 300 then
    n2xx = n2xx + 1
  elseif status == 304 then
    n304 = n304 + 1
  elseif status >= 300 and status < 400 then
    n3xx = n3xx + 1
  else
    nother = nother + 1
  end
end

function done(summary, latency, requests)
  local c2, c3, c304, co = 0, 0, 0, 0
  for _, thread in ipairs(threads) do
    c2 = c2 + thread:get("n2xx")
    c3 = c3 + thread:get("n3xx")
    c304 = c304 + thread:get("n304")
    co = co + thread:get("nother")
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests": %d, "duration_us": %d, "bytes": %d, ' ..
    '"p50_us": %d, "p99_us": %d, "max_us": %d, ' ..
    '"n2xx": %d, "n304": %d, "n3xx": %d, "nother": %d, ' ..
    '"connect": %d, "read": %d, "write": %d, "timeout": %d}\n',
    summary.requests, summary.duration, summary.bytes,
    latency:percentile(50), latency:percentile(99), latency.max,
    c2, c304, c3, co, e.connect, e.read, e.write, e.timeout))
end
