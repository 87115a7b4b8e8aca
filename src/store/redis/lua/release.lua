--[[
  release: put jobs the worker still holds back to waiting, at their old
  place in line, without spending an attempt (graceful shutdown).
  KEYS[1]  <base>active
  ARGV[1]  key base "{<prefix>}:"
  ARGV[2]  worker id
  ARGV[3..] pairs: job id, lease token
  Reply: the ids that were released.
]]
local worker = ARGV[2]
local released, deltas, marks = {}, {}, {}
for i = 3, #ARGV, 2 do
  local id, token = ARGV[i], ARGV[i + 1]
  local jk = jobKey(id)
  local f = rcall("HMGET", jk, "state", "leaseWorker", "leaseToken", "queue", "priority", "seq")
  if f[1] == "active" and f[2] == worker and f[3] == token then
    local q = f[4]
    rcall("HSET", jk, "state", "waiting", "leaseUntil", 0)
    rcall("ZREM", KEYS[1], id)
    pushWaiting(id, q, f[5], f[6])
    bump(deltas, "active", q, -1)
    bump(deltas, "waiting", q, 1)
    marks[q] = (marks[q] or 0) + 1
    released[#released + 1] = id
  end
end
flushCounts(deltas)
pushMarkers(marks)
return released
