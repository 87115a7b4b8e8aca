--[[
  complete: finish jobs the worker still holds, storing their results.
  References to leases the worker lost are ignored.
  KEYS[1]  <base>active
  ARGV[1]  key base "{<prefix>}:"
  ARGV[2]  now (epoch ms)
  ARGV[3]  worker id
  ARGV[4..] triples: job id, lease token, result (JSON; "" = undefined)
  Reply: {number of jobs completed, as a string}
]]
local now = ARGV[2]
local worker = ARGV[3]
local done, deltas, finished = {}, {}, {}
for i = 4, #ARGV, 3 do
  local id, token, result = ARGV[i], ARGV[i + 1], ARGV[i + 2]
  local jk = jobKey(id)
  local f = rcall("HMGET", jk, "state", "leaseWorker", "leaseToken", "queue", "attemptsMade", "name", "uniqueKey")
  if f[1] == "active" and f[2] == worker and f[3] == token then
    local q = f[4]
    -- An active job has no result field (retry-job deletes it), so "" needs no HDEL.
    if result == "" then
      rcall("HSET", jk, "state", "completed", "finishedAt", now, "attemptsMade", (tonumber(f[5]) or 0) + 1)
    else
      rcall("HSET", jk, "state", "completed", "finishedAt", now, "attemptsMade", (tonumber(f[5]) or 0) + 1, "result", result)
    end
    push(finished, q, now, id)
    freeUnique(id, f[6], f[7])
    bump(deltas, "active", q, -1)
    bump(deltas, "completed", q, 1)
    done[#done + 1] = id
  end
end
if #done > 0 then
  remMany("ZREM", KEYS[1], done)
  for q, list in pairs(finished) do zaddMany(doneKey(q, "completed"), list) end
end
flushCounts(deltas)
return { tostring(#done) }
