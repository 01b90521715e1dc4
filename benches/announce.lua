-- wrk request mix for the tracker benchmark (bench/tracker.rs writes bench-data.lua
-- next to a copy of this file): announces over a pool of registered torrents,
-- 80% regular, 10% started, 5% completed, 5% stopped, ~1/3 of peers seeding.
dofile(os.getenv("BENCH_DATA"))

local T = #hashes
local M = #passkeys
local P = tonumber(os.getenv("BENCH_PEERS") or "20000")
local close = os.getenv("BENCH_CLOSE") == "1"
local headers = {}
if close then headers["Connection"] = "close" end
local n = 0

local threads = {}
failures = 0

function setup(thread)
  thread:set("seed", math.random(1, 1000000))
  table.insert(threads, thread)
end

-- Counts bencoded refusals, so a tracker answering "failure reason" fast cannot pass as fast.
response = function(status, headers, body)
  if string.find(body, "failure reason", 1, true) then failures = failures + 1 end
end

function init(args)
  math.randomseed(seed or os.time())
end

request = function()
  n = n + 1
  local p = math.random(0, P - 1)
  local t = p % T
  local k = math.floor(p / T)
  local r = math.random()
  local event = ""
  if r >= 0.95 then event = "&event=stopped"
  elseif r >= 0.90 then event = "&event=completed"
  elseif r >= 0.80 then event = "&event=started" end
  local left = 1000000
  if p % 3 == 0 or event == "&event=completed" then left = 0 end
  local path = string.format(
    "/announce?passkey=%s&info_hash=%s&peer_id=-WK0001-%012d&port=%d&uploaded=%d&downloaded=%d&left=%d&compact=1&numwant=50%s",
    passkeys[(p % M) + 1], hashes[t + 1], p, 1024 + k, n * 1000, n * 500, left, event)
  return wrk.format("GET", path, headers)
end

done = function(summary, latency, requests)
  local e = summary.errors
  local f = 0
  for _, t in ipairs(threads) do f = f + t:get("failures") end
  io.write(string.format(
    "RESULT requests=%d duration_us=%d p50_us=%d p99_us=%d errors=%d non2xx=%d failures=%d\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.connect + e.read + e.write + e.timeout, e.status, f))
end
