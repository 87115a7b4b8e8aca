--[[
  Shared helpers, prepended to every script (see ../scripts.ts). Not a script
  of its own.

  Conventions every script keeps:
    ARGV[1]  key base of one hash slot: "{<prefix>}:" (the deployment's home
             slot) or "{<prefix>:<tag>}:" (a queue tag, when queues are
             spread over Cluster shards). Every key a script touches starts
             with it, so a script never leaves its slot; KEYS[1] is always
             one real key of that slot, for routing.
    Replies are tables of strings (structured), never magic numbers.

  Key layout of a slot (the only other place that names keys is ../keys.ts):
    <base>j:<id>                   hash: one job (fields below)
    <base>q:<queue>:w              list: waiting jobs of priority 0, in FIFO (seq) order
    <base>q:<queue>:z              zset: waiting jobs of any other priority, score priority * 2^36 + seq
    <base>q:<queue>:m              list: wake-up markers for idle workers (capped)
    <base>q:<queue>:<state>        zset: completed / failed / cancelled jobs by finishedAt (retention)
    <base>delayed                  zset: delayed jobs by runAt
    <base>active                   set: ids of active jobs (rescue scans it; the lease is in the job)
    <base>rescan                   string: where rescue-expired.lua's scan of a big active set goes on
    <base>counts                   hash: "<state>:<queue>" -> jobs in that state
    <base>paused                   set: paused queue names
    <base>seq                      string: FIFO sequence counter
    <base>jobid                    string: the last job number handed out
    <base>ix:<n>, <base>ixd, <base>ixn   the listing index (lib-index.lua)
    <base>u:<#name>:<name>:<key>   string "<until>:<id>": holder of a unique key
    <base>stage:<token>            list: one bulk enqueue being staged (enqueue-stage.lua)
    <base>staging                  zset: staged bulk enqueues by deadline
  The home slot also holds workers, leader:<name>, schedules and layout.

  Job hash fields, one letter each so that a waiting job's hash stays a small
  listpack (../codec.ts maps them to JobRecord):
    n name        q queue        s state       p priority (absent: 0)
    m maxAttempts c createdAt    r runAt (absent: createdAt)
    i FIFO seq    d data JSON (absent: undefined)
    a attemptsMade (absent: 0)   x stalls (absent: 0)
    t startedAt   f finishedAt   w lease worker   k lease token   u lease until
    g progress    o result JSON  e errors (JSON array)   l logs (JSON lines)
    y unique key
  A job hash without `s` belongs to a bulk enqueue that is staged but not
  published: nothing shows it and nothing claims it.

  The listing index is described in lib-index.lua; the steps several
  scripts share (promotion, completion, storing new jobs) in lib-jobs.lua.
]]
local rcall = redis.call
local BASE = ARGV[1]
-- At most this many markers per queue: enough to wake that many idle workers at once.
local MARKER_CAP = 64
-- Waiting score: priority in the high part, FIFO seq below 2^36 (69 billion
-- enqueues); |priority| is clamped to 65535 so scores stay exact doubles.
local PRIORITY_SHIFT = 68719476736
local PRIORITY_MAX = 65535
local LIVE = { waiting = true, delayed = true, active = true }

local function jobKey(id) return BASE .. "j:" .. id end
local function listKey(q) return BASE .. "q:" .. q .. ":w" end
local function prioKey(q) return BASE .. "q:" .. q .. ":z" end
local function markerKey(q) return BASE .. "q:" .. q .. ":m" end
local function doneKey(q, state) return BASE .. "q:" .. q .. ":" .. state end
local function uniqueKeyOf(name, key) return BASE .. "u:" .. #name .. ":" .. name .. ":" .. key end

-- Integers as text without exponent (tostring gives "1e+15" from 10^14 on).
local function int(n) return string.format("%.0f", n) end

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

-- A variadic command over many arguments, in slices within Lua's unpack limit.
local function callMany(cmd, key, args, step)
  step = step or 2000
  for i = 1, #args, step do
    rcall(cmd, key, unpack(args, i, math.min(i + step - 1, #args)))
  end
end

local function zaddMany(key, flat) callMany("ZADD", key, flat) end
local function remMany(cmd, key, members) callMany(cmd, key, members) end

-- Appends to the list held at t[k], creating it.
local function push(t, k, ...)
  local list = t[k]
  if not list then list = {}; t[k] = list end
  for _, v in ipairs({ ... }) do list[#list + 1] = v end
end

local function waitingCount(q)
  return rcall("LLEN", listKey(q)) + rcall("ZCARD", prioKey(q))
end

-- The end of the line: appends to `lists[q]` (ids for RPUSH) or `zsets[q]` ({score, id} pairs) for a later flush.
local function queueWaiting(lists, zsets, id, q, priority, seq)
  if (tonumber(priority) or 0) == 0 then push(lists, q, id) else push(zsets, q, waitScore(priority, seq), id) end
end

local function flushWaiting(lists, zsets)
  for q, ids in pairs(lists) do callMany("RPUSH", listKey(q), ids) end
  for q, flat in pairs(zsets) do zaddMany(prioKey(q), flat) end
end

-- Jobs going back to their old place in line (release, rescue). `entries`
-- holds {seq, id, priority} of one queue. The FIFO list is kept in seq
-- order: entries of lower seq than ours can only be older jobs put back
-- earlier, at the head, so only that head run is popped, merged and pushed back.
local function reinsert(q, entries)
  local plain, prio = {}, {}
  for _, e in ipairs(entries) do
    if (tonumber(e[3]) or 0) == 0 then plain[#plain + 1] = { tonumber(e[1]), e[2] }
    else prio[#prio + 1] = waitScore(e[3], e[1]); prio[#prio + 1] = e[2] end
  end
  if #prio > 0 then zaddMany(prioKey(q), prio) end
  if #plain == 0 then return end
  table.sort(plain, function(a, b) return a[1] < b[1] end)
  local lk, top = listKey(q), plain[#plain][1]
  local ahead = {}
  while true do
    local head = rcall("LINDEX", lk, 0)
    if not head then break end
    local hs = tonumber(rcall("HGET", jobKey(head), "i"))
    if not hs or hs > top then break end
    rcall("LPOP", lk)
    ahead[#ahead + 1] = { hs, head }
  end
  -- Merge both ascending runs, then LPUSH from the back so the lowest seq ends up first.
  local merged, a, b = {}, 1, 1
  while a <= #plain or b <= #ahead do
    if b > #ahead or (a <= #plain and plain[a][1] < ahead[b][1]) then
      merged[#merged + 1] = plain[a][2]; a = a + 1
    else
      merged[#merged + 1] = ahead[b][2]; b = b + 1
    end
  end
  local rev = {}
  for i = #merged, 1, -1 do rev[#rev + 1] = merged[i] end
  callMany("LPUSH", lk, rev)
end

-- Take a waiting job out of line (cancel, remove); `priority` from its hash.
local function unqueueWaiting(id, q, priority)
  if (tonumber(priority) or 0) == 0 then rcall("LREM", listKey(q), 1, id) else rcall("ZREM", prioKey(q), id) end
end

-- Remove the job from the structure that holds it in `state`.
local function detach(id, state, q, priority)
  if state == "waiting" then unqueueWaiting(id, q, priority)
  elseif state == "delayed" then rcall("ZREM", BASE .. "delayed", id)
  elseif state == "active" then rcall("SREM", BASE .. "active", id)
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
  local cur = rcall("HGET", jk, "e")
  if cur and #cur > 2 then cur = string.sub(cur, 1, -2) .. "," .. json .. "]" else cur = "[" .. json .. "]" end
  rcall("HSET", jk, "e", cur)
end
