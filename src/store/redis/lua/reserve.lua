--[[
  reserve: record the worker's completions, then claim up to `max` jobs for
  it, in the given queue order, then priority, then FIFO. Due delayed jobs
  are promoted first; paused queues are skipped; with a name list, jobs of
  other names stay in line for a worker that has them loaded. Each claim
  bumps the job's lease token.
  Without allow-oom: on a Redis out of memory the whole call is refused
  before anything runs, so no job starts whose outcome could not be
  written (the store then records the completions alone with complete.lua).
  KEYS[1]  <base>active
  ARGV[1]  key base
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
  Reply: one string per claimed job, in claim order: its id, new lease
         token and the values of RESERVED_FIELDS joined by "\0" ("" for an
         absent field; no field is ever an empty string, and JSON text holds no
         raw NUL; the unique key, the one free-form field, comes last). One
         string instead of 15 replies per job: fewer to encode here and to
         parse in the worker. The claim sets state active, startedAt=now, the
         lease worker, until and token; the caller knows those.
]]
-- The 13 fields a claim returns, then two it reads for flow control (lib-flow.lua): the flow JSON and the FIFO seq.
local RESERVED_FIELDS = { "k", "n", "q", "d", "p", "a", "m", "x", "r", "c", "e", "g", "y", "fl", "i" }
local now = ARGV[2]
local nowN = tonumber(now)
local worker = ARGV[3]
local max = tonumber(ARGV[4])
local leaseUntil = tonumber(now) + tonumber(ARGV[5])
local untilText = int(leaseUntil)
local nq = tonumber(ARGV[7])
local nn = tonumber(ARGV[8 + nq])
local allowed = nil
if nn > 0 then
  allowed = {}
  for i = 9 + nq, 8 + nq + nn do allowed[ARGV[i]] = true end
end
completeHeld(worker, now, ARGV, 9 + nq + nn)
promoteDue(nowN, tonumber(ARGV[6]))
flowWakeDue(nowN)

-- The front of a queue's line, up to `need` jobs: negative priorities (rare)
-- come before the FIFO list of priority 0, which comes before the rest.
-- Returns the ids and, for zset pops, their scores ({id, score, ...}).
local function popFront(q, need)
  local zk = prioKey(q)
  local head = rcall("ZRANGE", zk, 0, 0, "WITHSCORES")
  if head[1] and tonumber(head[2]) < 0 then
    local got = rcall("ZRANGEBYSCORE", zk, "-inf", "(0", "WITHSCORES", "LIMIT", 0, need)
    local ids = {}
    for j = 1, #got, 2 do ids[#ids + 1] = got[j] end
    remMany("ZREM", zk, ids)
    return got, true
  end
  if head[1] and tonumber(head[2]) < PRIORITY_SHIFT then
    -- Grouped jobs of priority 0 wait in the zset (fair share, lib-jobs.lua fairPlace): merged with the FIFO list by seq.
    local lk = listKey(q)
    local lhead = rcall("LINDEX", lk, 0)
    local lseq = lhead and tonumber(rcall("HGET", jobKey(lhead), "i"))
    if lseq and lseq < tonumber(head[2]) then return { rcall("LPOP", lk) }, false end
    local bound = PRIORITY_SHIFT
    if lseq then bound = lseq + 1 end
    local got = rcall("ZRANGEBYSCORE", zk, "-inf", "(" .. string.format("%.0f", bound), "WITHSCORES", "LIMIT", 0, need)
    local ids = {}
    for j = 1, #got, 2 do ids[#ids + 1] = got[j] end
    remMany("ZREM", zk, ids)
    return got, true
  end
  local ids = rcall("LPOP", listKey(q), need)
  if ids then return ids, false end
  if head[1] then return rcall("ZPOPMIN", zk, need), true end
  return nil, false
end

local out, deltas, active = {}, {}, {}
local paused = BASE .. "paused"
for i = 8, 7 + nq do
  if #out >= max then break end
  local q = ARGV[i]
  if rcall("SISMEMBER", paused, q) == 0 and not flowHeld(q, nowN) then
    local claimed = 0
    local skippedList, skippedZ = {}, {}
    while #out < max do
      local got, scored = popFront(q, max - #out)
      if not got or #got == 0 then break end
      local stride = scored and 2 or 1
      for j = 1, #got, stride do
        local id = got[j]
        local jk = BASE .. "j:" .. id
        local v = rcall("HMGET", jk, unpack(RESERVED_FIELDS))
        -- The line holds only waiting jobs; the check guards against writing a partial hash.
        if v[2] then
          if allowed and not allowed[v[2]] then
            -- Set aside for a worker that has this job loaded, and put back after.
            if scored then skippedZ[#skippedZ + 1] = got[j + 1]; skippedZ[#skippedZ + 1] = id
            else skippedList[#skippedList + 1] = id end
          else
            -- Over a limit: parked on its key (lib-flow.lua), not started, no attempt spent.
            local limits = v[14] and flowLimits(v[14])
            local parkKey, parkUntil = nil, nil
            if limits then parkKey, parkUntil = flowBlocking(limits, nowN) end
            if parkKey then
              flowPark(id, parkKey, parkUntil, nowN, v[5], v[15], q, v[2])
            else
              if limits then flowTake(limits, nowN) end
              claimed = claimed + 1
              local token = (tonumber(v[1]) or 0) + 1
              rcall("HSET", jk, "s", "active", "t", now, "w", worker, "u", untilText, "k", token)
              active[#active + 1] = id
              v[1] = id .. "\0" .. token
              for k = 2, 13 do
                if not v[k] then v[k] = "" end
              end
              out[#out + 1] = table.concat(v, "\0", 1, 13)
            end
          end
        end
      end
    end
    if #skippedZ > 0 then zaddMany(prioKey(q), skippedZ) end
    if #skippedList > 0 then
      -- They came off the head in order: pushed back from the last, they take their old places.
      local rev = {}
      for j = #skippedList, 1, -1 do rev[#rev + 1] = skippedList[j] end
      callMany("LPUSH", listKey(q), rev)
    end
    if claimed > 0 then
      bump(deltas, "waiting", q, -claimed)
      bump(deltas, "active", q, claimed)
    end
  end
end
callMany("SADD", KEYS[1], active)
flowFlush(nowN)
flushCounts(deltas)
return out
