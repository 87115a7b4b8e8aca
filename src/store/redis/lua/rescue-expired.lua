--[[
  rescue-expired: active jobs whose lease ran out, or whose worker's
  heartbeat record lapsed (a dead worker, noticed before its leases run
  out), go back to waiting with a stall counted, at their old place in
  line; past maxStalls they fail with a "stalled too many times" error
  (poison-job guard).
  KEYS[1]  <base>active
  ARGV[1]  key base "{<prefix>}:"
  ARGV[2]  now (epoch ms)
  ARGV[3]  maxStalls
  ARGV[4]  most jobs to handle
  ARGV[5]  the stall error message, JSON-encoded (a JSON string)
  ARGV[6]  how long a lapsed worker record is kept (ms); older ones are deleted here
  Reply: {{rescued ids...}, {failed ids...}}
]]
local now, maxStalls, limit, msg = ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4]), ARGV[5]
local ids = rcall("ZRANGEBYSCORE", KEYS[1], "-inf", "(" .. now, "LIMIT", 0, limit)
if #ids < limit then
  -- Workers whose heartbeat record lapsed: their leased jobs are looked for in the active set.
  -- This scan costs one HGET per active job, and only while a lapsed record exists (a few minutes after a death).
  local all = rcall("HGETALL", BASE .. "workers")
  local dead, any = {}, false
  for i = 1, #all, 2 do
    local v = all[i + 1]
    local expires = tonumber(string.sub(v, 1, string.find(v, "|", 1, true) - 1))
    if expires + tonumber(ARGV[6]) <= tonumber(now) then
      rcall("HDEL", BASE .. "workers", all[i])
    elseif expires <= tonumber(now) then
      dead[all[i]] = true
      any = true
    end
  end
  if any then
    for _, id in ipairs(rcall("ZRANGEBYSCORE", KEYS[1], now, "+inf")) do
      if #ids >= limit then break end
      if dead[rcall("HGET", jobKey(id), "leaseWorker")] then ids[#ids + 1] = id end
    end
  end
end
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
