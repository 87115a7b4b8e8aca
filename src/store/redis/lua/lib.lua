--[[
  Shared helpers, prepended to every script (see ../scripts.ts). Not a script
  of its own.

  Conventions every script keeps:
    ARGV[1]  key base of the deployment, "{<prefix>}:". Every key a script
             touches starts with it, so all keys of a deployment share one
             hash slot and the scripts are Redis Cluster safe. KEYS[1] is
             always one real key of that slot, for routing.
    Replies are tables of strings (structured), never magic numbers.

  Key layout (the only other place that names keys is ../keys.ts):
    <base>job:<id>                 hash: the job record (see ../codec.ts)
    <base>q:<queue>:wait           zset: waiting jobs, score priority * 2^36 + seq
    <base>q:<queue>:marker         list: wake-up markers for idle workers (capped)
    <base>q:<queue>:completed      zset: completed jobs by finishedAt (retention)
    <base>q:<queue>:failed         zset: failed jobs by finishedAt (retention)
    <base>q:<queue>:cancelled      zset: cancelled jobs by finishedAt (retention)
    <base>delayed                  zset: delayed jobs by runAt
    <base>active                   zset: active jobs by lease until (rescue)
    <base>idx                      zset, all scores 0: "<createdAt, 16 digits>:<id length, 3 digits>:<id>" (listing)
    <base>jobid                    string: the last id handed out (ids are 1, 2, 3, ...)
    <base>counts                   hash: "<state>:<queue>" -> jobs in that state
    <base>paused                   set: paused queue names
    <base>seq                      string: FIFO sequence counter
    <base>u:<#name>:<name>:<key>   string "<until>:<id>": holder of a unique key
    <base>workers                  hash: worker id -> "<expiresAt>|<WorkerInfo JSON>"
]]
local rcall = redis.call
local BASE = ARGV[1]
-- At most this many markers per queue: enough to wake that many idle workers at once.
local MARKER_CAP = 64
-- Waiting score: priority in the high part, FIFO seq below 2^36 (69 billion
-- enqueues); |priority| is clamped to 65535 so scores stay exact doubles.
local PRIORITY_SHIFT = 68719476736
local PRIORITY_MAX = 65535

local function jobKey(id) return BASE .. "job:" .. id end
local function waitKey(q) return BASE .. "q:" .. q .. ":wait" end
local function markerKey(q) return BASE .. "q:" .. q .. ":marker" end
local function doneKey(q, state) return BASE .. "q:" .. q .. ":" .. state end
local function uniqueKeyOf(name, key) return BASE .. "u:" .. #name .. ":" .. name .. ":" .. key end

-- "<createdAt, 16 digits>:<id length, 3 digits>:<id>": byte order is (createdAt, id in shortlex order).
local function indexMember(createdAt, id)
  return string.rep("0", 16 - #createdAt) .. createdAt .. ":" .. string.format("%03d", #id) .. ":" .. id
end

local function waitScore(priority, seq)
  local p = tonumber(priority) or 0
  if p > PRIORITY_MAX then p = PRIORITY_MAX elseif p < -PRIORITY_MAX then p = -PRIORITY_MAX end
  return p * PRIORITY_SHIFT + tonumber(seq)
end

-- Counter changes are summed per "<state>:<queue>" and written once per script.
local function bump(deltas, state, q, d)
  local f = state .. ":" .. q
  deltas[f] = (deltas[f] or 0) + d
end

local function flushCounts(deltas)
  for f, d in pairs(deltas) do
    if d ~= 0 then rcall("HINCRBY", BASE .. "counts", f, d) end
  end
end

-- One marker per job that became ready, up to MARKER_CAP: each wakes one
-- blocked worker, so a batch wakes as many workers as it can feed.
local function pushMarkers(marks)
  for q, n in pairs(marks) do
    if n > 0 and rcall("SISMEMBER", BASE .. "paused", q) == 0 then
      if n > MARKER_CAP then n = MARKER_CAP end
      local ones = {}
      for i = 1, n do ones[i] = "1" end
      local mk = markerKey(q)
      rcall("LPUSH", mk, unpack(ones))
      rcall("LTRIM", mk, 0, MARKER_CAP - 1)
    end
  end
end

-- ZADD of many {score, member, ...} pairs, in slices that stay within Lua's unpack limit.
local function zaddMany(key, pairs)
  for i = 1, #pairs, 2000 do
    rcall("ZADD", key, unpack(pairs, i, math.min(i + 1999, #pairs)))
  end
end

local function remMany(cmd, key, members)
  for i = 1, #members, 2000 do
    rcall(cmd, key, unpack(members, i, math.min(i + 1999, #members)))
  end
end

-- Appends to the list held at t[k], creating it.
local function push(t, k, ...)
  local list = t[k]
  if not list then list = {}; t[k] = list end
  for _, v in ipairs({ ... }) do list[#list + 1] = v end
end

local function pushWaiting(id, q, priority, seq)
  rcall("ZADD", waitKey(q), waitScore(priority, seq), id)
end

-- Remove the job from the structure that holds it in `state`.
local function detach(id, state, q)
  if state == "waiting" then rcall("ZREM", waitKey(q), id)
  elseif state == "delayed" then rcall("ZREM", BASE .. "delayed", id)
  elseif state == "active" then rcall("ZREM", BASE .. "active", id)
  elseif state == "completed" or state == "failed" or state == "cancelled" then rcall("ZREM", doneKey(q, state), id)
  end
end

-- The job reached a final state (or is deleted): free its unique key if it still holds it.
local function freeUnique(id, name, key)
  if not key then return end
  local uk = uniqueKeyOf(name, key)
  local held = rcall("GET", uk)
  if held and string.sub(held, string.find(held, ":", 1, true) + 1) == id then rcall("DEL", uk) end
end

local function appendError(jk, json)
  local cur = rcall("HGET", jk, "errors")
  if cur and #cur > 2 then cur = string.sub(cur, 1, -2) .. "," .. json .. "]" else cur = "[" .. json .. "]" end
  rcall("HSET", jk, "errors", cur)
end

-- Move up to `limit` delayed jobs due at `now` to waiting, with a fresh FIFO seq.
local function promoteDue(now, limit)
  local dk = BASE .. "delayed"
  local ids = rcall("ZRANGEBYSCORE", dk, "-inf", now, "LIMIT", 0, limit)
  if #ids == 0 then return 0 end
  local deltas, marks, moved = {}, {}, 0
  for _, id in ipairs(ids) do
    rcall("ZREM", dk, id)
    local jk = jobKey(id)
    local f = rcall("HMGET", jk, "state", "queue", "priority")
    if f[1] == "delayed" then
      local seq = rcall("INCR", BASE .. "seq")
      rcall("HSET", jk, "state", "waiting", "seq", seq)
      pushWaiting(id, f[2], f[3], seq)
      bump(deltas, "delayed", f[2], -1)
      bump(deltas, "waiting", f[2], 1)
      marks[f[2]] = (marks[f[2]] or 0) + 1
      moved = moved + 1
    end
  end
  flushCounts(deltas)
  pushMarkers(marks)
  return moved
end

-- Finish jobs the worker still holds, storing their results; references to
-- leases it lost are ignored. `refs` holds triples from index `from`:
-- job id, lease token, result (JSON; "" = undefined). Returns how many finished.
local function completeHeld(worker, now, refs, from)
  local done, deltas, finished = {}, {}, {}
  for i = from, #refs, 3 do
    local id, token, result = refs[i], refs[i + 1], refs[i + 2]
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
    remMany("ZREM", BASE .. "active", done)
    for q, list in pairs(finished) do zaddMany(doneKey(q, "completed"), list) end
  end
  flushCounts(deltas)
  return #done
end
