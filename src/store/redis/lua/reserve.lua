--[[
  reserve: claim up to `max` jobs for one worker, in the given queue order,
  then priority, then FIFO. Due delayed jobs are promoted first; paused
  queues are skipped. Each claim bumps the job's lease token.
  KEYS[1]  <base>active
  ARGV[1]  key base "{<prefix>}:"
  ARGV[2]  now (epoch ms)
  ARGV[3]  worker id
  ARGV[4]  max jobs to claim
  ARGV[5]  lease length, ms
  ARGV[6]  most delayed jobs to promote first
  ARGV[7..] queue names, highest priority first
  Reply: one {id, lease token, {values of RESERVED_FIELDS}} per claimed job,
         in claim order (a missing field is nil). The claim set state=active,
         startedAt=now, leaseWorker, leaseUntil=now+lease and the token; the
         caller knows those and does not need them read back.
]]
local RESERVED_FIELDS = { "name", "queue", "data", "priority", "attemptsMade", "maxAttempts", "stalls", "runAt",
  "createdAt", "errors", "progress", "uniqueKey", "leaseToken" }
local now = ARGV[2]
local worker = ARGV[3]
local max = tonumber(ARGV[4])
local leaseUntil = tonumber(now) + tonumber(ARGV[5])
promoteDue(tonumber(now), tonumber(ARGV[6]))
local out, deltas, active = {}, {}, {}
local paused = BASE .. "paused"
for i = 7, #ARGV do
  if #out >= max then break end
  local q = ARGV[i]
  if rcall("SISMEMBER", paused, q) == 0 then
    local popped = rcall("ZPOPMIN", waitKey(q), max - #out)
    local claimed = 0
    for j = 1, #popped, 2 do
      local id = popped[j]
      local jk = BASE .. "job:" .. id
      local v = rcall("HMGET", jk, unpack(RESERVED_FIELDS))
      -- The waiting zset holds only waiting jobs; the check guards against writing a partial hash.
      if v[1] then
        claimed = claimed + 1
        local token = (tonumber(v[13]) or 0) + 1
        rcall("HSET", jk, "state", "active", "startedAt", now, "leaseWorker", worker, "leaseUntil", leaseUntil, "leaseToken", token)
        local n = #active
        active[n + 1], active[n + 2] = leaseUntil, id
        out[#out + 1] = { id, tostring(token), v }
      end
    end
    if claimed > 0 then
      bump(deltas, "waiting", q, -claimed)
      bump(deltas, "active", q, claimed)
    end
  end
end
zaddMany(KEYS[1], active)
flushCounts(deltas)
return out
