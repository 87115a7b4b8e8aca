--[[
  rescue-expired: active jobs whose lease ran out, or whose worker is dead
  (its heartbeat record lapsed: noticed before its leases run out), go back
  to waiting with a stall counted, at their old place in line; past
  maxStalls they fail with a "stalled too many times" error (poison-job
  guard). Also deletes staged bulk enqueues whose client vanished (past
  their deadline). With allow-oom: it frees leases and memory.
  KEYS[1]  <base>active   (a set: each job's lease until is its field u)
  ARGV[1]  key base
  ARGV[2]  now (epoch ms)
  ARGV[3]  maxStalls
  ARGV[4]  most jobs to handle
  ARGV[5]  the stall error message, JSON-encoded (a JSON string)
  ARGV[6..] ids of dead workers (their heartbeat record lapsed)
  Reply: {{rescued ids...}, {failed ids...}}
]]
-- Active jobs examined per call at most (one HMGET each).
local SCAN_SLICE = 5000
local now, maxStalls, limit, msg = ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4]), ARGV[5]
local nowN = tonumber(now)
local dead = {}
for i = 6, #ARGV do dead[ARGV[i]] = true end
-- The active set is read whole while it is small (a few thousand jobs in flight);
-- a bigger one is scanned in slices, one per call, each call going on where the last stopped.
local members
if rcall("SCARD", KEYS[1]) <= SCAN_SLICE then
  members = rcall("SMEMBERS", KEYS[1])
else
  local scan = rcall("SSCAN", KEYS[1], rcall("GET", BASE .. "rescan") or "0", "COUNT", SCAN_SLICE)
  rcall("SET", BASE .. "rescan", scan[1])
  members = scan[2]
end
local ids = {}
for _, id in ipairs(members) do
  if #ids >= limit then break end
  local f = rcall("HMGET", jobKey(id), "u", "w")
  if not f[1] or tonumber(f[1]) < nowN or dead[f[2]] then ids[#ids + 1] = id end
end
local rescued, failed, deltas, marks, back = {}, {}, {}, {}, {}
for _, id in ipairs(ids) do
  rcall("SREM", KEYS[1], id)
  local jk = jobKey(id)
  local f = rcall("HMGET", jk, "s", "q", "p", "i", "a", "n", "y", "fl")
  if f[1] == "active" then
    local q = f[2]
    -- The dead worker's slots come back with its jobs.
    if f[8] then flowGive(flowLimits(f[8]), nowN) end
    local stalls = rcall("HINCRBY", jk, "x", 1)
    bump(deltas, "active", q, -1)
    if stalls > maxStalls then
      local attempt = tostring((tonumber(f[5]) or 0) + 1)
      appendError(jk, '{"attempt":' .. attempt .. ',"at":' .. now .. ',"name":"Stalled","message":' .. msg .. '}')
      rcall("HSET", jk, "s", "failed", "f", now, "a", attempt)
      rcall("ZADD", doneKey(q, "failed"), now, id)
      freeUnique(id, f[6], f[7])
      bump(deltas, "failed", q, 1)
      failed[#failed + 1] = id
    else
      rcall("HSET", jk, "s", "waiting")
      push(back, q, { f[4], id, f[3] })
      bump(deltas, "waiting", q, 1)
      marks[q] = (marks[q] or 0) + 1
      rescued[#rescued + 1] = id
    end
  end
end
for q, entries in pairs(back) do reinsert(q, entries) end
flowFlush(nowN)
flowSweep(nowN, 1000)
flushCounts(deltas)
pushMarkers(marks)
-- Stages nobody will publish: a bounded slice per call.
for _, token in ipairs(rcall("ZRANGEBYSCORE", BASE .. "staging", "-inf", now, "LIMIT", 0, 2)) do dropStaged(token, 5000) end
return { rescued, failed }
