--[[
  fail: record a failed try of a job the worker still holds. With a retry
  time the job goes delayed; without, it goes failed (dead-letter).
  With allow-oom: a try that ran gets its outcome written even when Redis is full.
  KEYS[1]  <base>active
  ARGV[1]  key base
  ARGV[2]  now (epoch ms)
  ARGV[3]  worker id
  ARGV[4]  job id
  ARGV[5]  lease token
  ARGV[6]  error record (JSON object, "at" included)
  ARGV[7]  retry at (epoch ms; "" = no more tries)
  Reply: "delayed" | "failed" | "not_held"
]]
local now, worker, id, token, err, retryAt = ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7]
local jk = jobKey(id)
local f = rcall("HMGET", jk, "s", "w", "k", "q", "n", "y", "fl")
if f[1] ~= "active" or f[2] ~= worker or f[3] ~= token then return "not_held" end
local q = f[4]
if f[7] then
  flowGive(flowLimits(f[7]), tonumber(now))
  flowFlush(tonumber(now))
end
local deltas = { ["active:" .. q] = -1 }
rcall("HINCRBY", jk, "a", 1)
appendError(jk, err)
rcall("SREM", KEYS[1], id)
if retryAt ~= "" then
  rcall("HSET", jk, "s", "delayed", "r", retryAt, "u", 0)
  rcall("ZADD", BASE .. "delayed", retryAt, id)
  bump(deltas, "delayed", q, 1)
  flushCounts(deltas)
  -- One marker wakes a waiter of this queue to re-arm its timer for the retry time.
  pushMarkers({ [q] = 1 })
  return "delayed"
end
rcall("HSET", jk, "s", "failed", "f", now)
rcall("ZADD", doneKey(q, "failed"), now, id)
freeUnique(id, f[5], f[6])
bump(deltas, "failed", q, 1)
flushCounts(deltas)
return "failed"
