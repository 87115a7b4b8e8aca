--[[
  reserve: record the worker's completions, then claim up to `max` jobs for
  it, in the given queue order, then priority, then FIFO. Due delayed jobs
  are promoted first; paused queues are skipped; with a name list, jobs of
  other names stay in line for a worker that has them loaded. Each claim
  bumps the job's lease token.
  KEYS[1]  <base>active
  ARGV[1]  key base "{<prefix>}:"
  ARGV[2]  now (epoch ms)
  ARGV[3]  worker id
  ARGV[4]  max jobs to claim
  ARGV[5]  lease length, ms
  ARGV[6]  most delayed jobs to promote first
  ARGV[7]  Q: number of queue names that follow
  ARGV[8 .. 7+Q]  queue names, highest priority first
  ARGV[8+Q]       N: number of job names that follow (0: any name)
  ARGV[9+Q .. 8+Q+N]  job names this worker has loaded
  ARGV[9+Q+N ..]  completions: triples of job id, lease token, result ("" = undefined)
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
local nq = tonumber(ARGV[7])
local nn = tonumber(ARGV[8 + nq])
local allowed = nil
if nn > 0 then
  allowed = {}
  for i = 9 + nq, 8 + nq + nn do allowed[ARGV[i]] = true end
end
completeHeld(worker, now, ARGV, 9 + nq + nn)
promoteDue(tonumber(now), tonumber(ARGV[6]))
local out, deltas, active = {}, {}, {}
local paused = BASE .. "paused"
for i = 8, 7 + nq do
  if #out >= max then break end
  local q = ARGV[i]
  if rcall("SISMEMBER", paused, q) == 0 then
    local wk = waitKey(q)
    local claimed = 0
    local skipped = {}
    -- Pop in slices: jobs of names this worker lacks are set aside and put back after.
    while #out < max do
      local popped = rcall("ZPOPMIN", wk, max - #out)
      if #popped == 0 then break end
      for j = 1, #popped, 2 do
        local id = popped[j]
        local jk = BASE .. "job:" .. id
        local v = rcall("HMGET", jk, unpack(RESERVED_FIELDS))
        -- The waiting zset holds only waiting jobs; the check guards against writing a partial hash.
        if v[1] then
          if allowed and not allowed[v[1]] then
            skipped[#skipped + 1] = popped[j + 1]
            skipped[#skipped + 1] = id
          else
            claimed = claimed + 1
            local token = (tonumber(v[13]) or 0) + 1
            rcall("HSET", jk, "state", "active", "startedAt", now, "leaseWorker", worker, "leaseUntil", leaseUntil, "leaseToken", token)
            local n = #active
            active[n + 1], active[n + 2] = leaseUntil, id
            out[#out + 1] = { id, tostring(token), v }
          end
        end
      end
      if not allowed then break end
    end
    if #skipped > 0 then zaddMany(wk, skipped) end
    if claimed > 0 then
      bump(deltas, "waiting", q, -claimed)
      bump(deltas, "active", q, claimed)
    end
  end
end
zaddMany(KEYS[1], active)
flushCounts(deltas)
return out
