--[[
  cancel-job: a waiting, delayed or active job becomes cancelled at once.
  An active job's worker learns it at its next lease renewal and aborts.
  The job joins <base>q:<queue>:cancelled (by finishedAt) for retention.
  KEYS[1]  <base>j:<id>
  ARGV[1]  key base
  ARGV[2]  now (epoch ms)
  ARGV[3]  job id
  Reply: {"ok", {field, value, ...}} | {"not_found"} | {"invalid_state", state}
]]
local id, now = ARGV[3], ARGV[2]
local f = rcall("HMGET", KEYS[1], "s", "q", "n", "y", "p", "fl")
local state, q = f[1], f[2]
if not state then return { "not_found" } end
if not LIVE[state] then return { "invalid_state", state } end
if state == "active" and f[6] then
  flowGive(flowLimits(f[6]), tonumber(now))
  flowFlush(tonumber(now))
end
if not (state == "waiting" and flowUnqueueParked(id)) then detach(id, state, q, f[5]) end
rcall("HSET", KEYS[1], "s", "cancelled", "f", now)
rcall("ZADD", doneKey(q, "cancelled"), now, id)
freeUnique(id, f[3], f[4])
local deltas = {}
bump(deltas, state, q, -1)
bump(deltas, "cancelled", q, 1)
flushCounts(deltas)
return { "ok", rcall("HGETALL", KEYS[1]) }
