--[[
  release: put jobs the worker still holds back to waiting, at their old
  place in line, without spending an attempt (graceful shutdown).
  With allow-oom: shutting down must be able to hand jobs back.
  KEYS[1]  <base>active
  ARGV[1]  key base
  ARGV[2]  worker id
  ARGV[3]  pause until (epoch ms; "" = none): ctx.rateLimited pauses the jobs' flow keys, or their queue
  ARGV[4]  now (epoch ms; "" with no pause)
  ARGV[5..] pairs: job id, lease token
  Reply: the ids that were released.
]]
local worker = ARGV[2]
local pauseUntil = tonumber(ARGV[3])
-- A shutdown release has no `now`: 0 errs on the safe side (a wake that finds the key free).
local now = tonumber(ARGV[4]) or 0
local released, deltas, marks, back = {}, {}, {}, {}
for i = 5, #ARGV, 2 do
  local id, token = ARGV[i], ARGV[i + 1]
  local jk = jobKey(id)
  local f = rcall("HMGET", jk, "s", "w", "k", "q", "p", "i", "fl")
  if f[1] == "active" and f[2] == worker and f[3] == token then
    local q = f[4]
    local limits = flowLimits(f[7])
    flowGive(limits, now)
    if pauseUntil then flowPause(limits, q, pauseUntil, now) end
    rcall("HSET", jk, "s", "waiting", "u", 0)
    rcall("SREM", KEYS[1], id)
    push(back, q, { f[6], id, f[5] })
    bump(deltas, "active", q, -1)
    bump(deltas, "waiting", q, 1)
    marks[q] = (marks[q] or 0) + 1
    released[#released + 1] = id
  end
end
for q, entries in pairs(back) do reinsert(q, entries) end
flowFlush(now)
flushCounts(deltas)
pushMarkers(marks)
return released
