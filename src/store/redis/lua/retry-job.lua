--[[
  retry-job: bring a failed, cancelled or completed job back to waiting
  with attempts and stalls reset and a fresh place at the end of the line.
  KEYS[1]  <base>job:<id>
  ARGV[1]  key base "{<prefix>}:"
  ARGV[2]  now (epoch ms)
  ARGV[3]  job id
  Reply: {"ok", {field, value, ...}} | {"not_found"} | {"invalid_state", state}
]]
local id, now = ARGV[3], ARGV[2]
local f = rcall("HMGET", KEYS[1], "state", "queue", "priority")
local state, q = f[1], f[2]
if not state then return { "not_found" } end
if state ~= "failed" and state ~= "cancelled" and state ~= "completed" then return { "invalid_state", state } end
detach(id, state, q)
local seq = rcall("INCR", BASE .. "seq")
rcall("HSET", KEYS[1], "state", "waiting", "attemptsMade", 0, "stalls", 0, "runAt", now, "seq", seq)
rcall("HDEL", KEYS[1], "finishedAt", "result", "progress")
pushWaiting(id, q, f[3], seq)
local deltas = {}
bump(deltas, state, q, -1)
bump(deltas, "waiting", q, 1)
flushCounts(deltas)
pushMarkers({ [q] = 1 })
return { "ok", rcall("HGETALL", KEYS[1]) }
