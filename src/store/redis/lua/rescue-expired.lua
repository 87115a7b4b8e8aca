--[[
  rescue-expired: active jobs whose lease ran out (worker lost) go back to
  waiting with a stall counted, at their old place in line; past maxStalls
  they fail with a "stalled too many times" error (poison-job guard).
  KEYS[1]  <base>active
  ARGV[1]  key base "{<prefix>}:"
  ARGV[2]  now (epoch ms)
  ARGV[3]  maxStalls
  ARGV[4]  most jobs to handle
  ARGV[5]  the stall error message, JSON-encoded (a JSON string)
  Reply: {{rescued ids...}, {failed ids...}}
]]
local now, maxStalls, limit, msg = ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4]), ARGV[5]
local ids = rcall("ZRANGEBYSCORE", KEYS[1], "-inf", "(" .. now, "LIMIT", 0, limit)
local rescued, failed, deltas, marks = {}, {}, {}, {}
for _, id in ipairs(ids) do
  rcall("ZREM", KEYS[1], id)
  local jk = jobKey(id)
  local f = rcall("HMGET", jk, "state", "queue", "priority", "seq", "attemptsMade", "name", "uniqueKey")
  if f[1] == "active" then
    local q = f[2]
    local stalls = rcall("HINCRBY", jk, "stalls", 1)
    bump(deltas, "active", q, -1)
    if stalls > maxStalls then
      local attempt = tostring((tonumber(f[5]) or 0) + 1)
      appendError(jk, '{"attempt":' .. attempt .. ',"at":' .. now .. ',"name":"Stalled","message":' .. msg .. '}')
      rcall("HSET", jk, "state", "failed", "finishedAt", now, "attemptsMade", attempt)
      rcall("ZADD", doneKey(q, "failed"), now, id)
      freeUnique(id, f[6], f[7])
      bump(deltas, "failed", q, 1)
      failed[#failed + 1] = id
    else
      rcall("HSET", jk, "state", "waiting")
      pushWaiting(id, q, f[3], f[4])
      bump(deltas, "waiting", q, 1)
      marks[q] = (marks[q] or 0) + 1
      rescued[#rescued + 1] = id
    end
  end
end
flushCounts(deltas)
pushMarkers(marks)
return { rescued, failed }
