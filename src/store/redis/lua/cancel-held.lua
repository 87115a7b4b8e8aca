--[[
  cancel-held: the job threw Cancelled while this worker held it; it ends
  cancelled. Fenced like every outcome: a worker whose lease was taken
  (rescued, re-reserved) changes nothing. With allow-oom, like every outcome.
  KEYS[1]  <base>active
  ARGV[1]  key base
  ARGV[2]  now (epoch ms)
  ARGV[3]  worker id
  ARGV[4]  job id
  ARGV[5]  lease token
  Reply: "cancelled" | "not_held"
]]
local now, worker, id, token = ARGV[2], ARGV[3], ARGV[4], ARGV[5]
local jk = jobKey(id)
local f = rcall("HMGET", jk, "s", "w", "k", "q", "n", "y", "fl")
if f[1] ~= "active" or f[2] ~= worker or f[3] ~= token then return "not_held" end
local q = f[4]
if f[7] then
  flowGive(flowLimits(f[7]), tonumber(now))
  flowFlush(tonumber(now))
end
rcall("SREM", KEYS[1], id)
rcall("HSET", jk, "s", "cancelled", "f", now)
rcall("ZADD", doneKey(q, "cancelled"), now, id)
freeUnique(id, f[5], f[6])
local deltas = {}
bump(deltas, "active", q, -1)
bump(deltas, "cancelled", q, 1)
flushCounts(deltas)
return "cancelled"
