--[[
  Flow control (src/core/flow.ts), part of the shared helpers (see lib.lua),
  run inside the claim and every move out of `active`, so a limit is one
  atomic step of the script that needs it: no extra round trip.

  Keys of a slot:
    <base>fk:<key>   hash: a active slots, n next allowed start (epoch ms),
                     m concurrency max last seen, p jobs parked, w wake time
    <base>fp:<key>   zset: jobs parked on the key, by their waiting score
    <base>fw         zset: keys by the time they free up by time alone
    <base>fh         hash: queue -> until (ctx.rateLimited of a job with no keys)
    <base>fthr       hash: "<queue>\0<job>" -> jobs claims found over a limit
    <base>fpk        set: keys with parked jobs (flow-status.lua)
    <base>fidle      zset: keys that hold nothing but a next start, by that time (swept by rescue-expired.lua)
  Job hash fields: fl (the flow JSON the job was enqueued with), pk (the
  key a parked job waits for).

  A claimed job over a limit is parked: it leaves the line for its key's
  zset, keeping its score. When the key frees up one parked job goes back
  to its old place (reinsert), and claiming it may let the next one back.
  Key states read in a script are cached in `flowCache` and written once
  (flowFlush), which every script that calls these must do last.
]]
local FLOW_WAKES = BASE .. "fw"
local FLOW_HOLDS = BASE .. "fh"
local flowCache, flowDirty = {}, {}

local function flowKeyOf(key) return BASE .. "fk:" .. key end
local function flowParkedOf(key) return BASE .. "fp:" .. key end

-- The limits of a job's flow JSON ("" or nil: none).
local function flowLimits(fl)
  if not fl or fl == "" then return nil end
  local ok, flow = pcall(cjson.decode, fl)
  if not ok or type(flow) ~= "table" or type(flow.limits) ~= "table" or #flow.limits == 0 then return nil end
  return flow.limits
end

-- The fair-share group of a job's flow JSON, if any.
local function flowGroup(fl)
  if not fl or fl == "" then return nil end
  local ok, flow = pcall(cjson.decode, fl)
  if not ok or type(flow) ~= "table" or type(flow.group) ~= "string" then return nil end
  return flow.group
end

local function flowGet(key)
  local s = flowCache[key]
  if s == nil then
    local h = rcall("HMGET", flowKeyOf(key), "a", "n", "m", "p", "w")
    if h[1] or h[2] or h[4] then
      s = { a = tonumber(h[1]) or 0, n = tonumber(h[2]) or 0, m = tonumber(h[3]), p = tonumber(h[4]) or 0, w = tonumber(h[5]) }
      s.p0 = s.p
      s.w0 = s.w
    else
      s = false
    end
    flowCache[key] = s
  end
  if s == false then return nil end
  return s
end

local function flowState(key)
  local s = flowGet(key)
  if not s then s = { a = 0, n = 0, p = 0, p0 = 0 }; flowCache[key] = s end
  flowDirty[key] = true
  return s
end

local function flowBlocked(s, now) return s.n > now or (s.m ~= nil and s.a >= s.m) end

local function flowScheduleWake(key, s, at, now)
  if not s.w or at < s.w or s.w <= now then
    s.w = at
    flowDirty[key] = true
    rcall("ZADD", FLOW_WAKES, at, key)
  end
end

-- One parked job of the key back to its place in line (stale entries skipped).
local function flowUnparkOne(key, s)
  local pk = flowParkedOf(key)
  while s.p > 0 do
    local got = rcall("ZPOPMIN", pk, 1)
    if not got[1] then break end
    s.p = s.p - 1
    local id = got[1]
    local f = rcall("HMGET", jobKey(id), "s", "pk", "q", "p", "i")
    if f[1] == "waiting" and f[2] == key then
      rcall("HDEL", jobKey(id), "pk")
      reinsert(f[3], { { f[5], id, f[4] } })
      pushMarkers({ [f[3]] = 1 })
      return
    end
  end
  s.p = 0
end

-- After any change to a key: let one parked job back if the key can start one now, or wait for its time.
local function flowTouch(key, now)
  local s = flowGet(key)
  if not s or s.p <= 0 then return end
  flowDirty[key] = true
  if s.n > now then flowScheduleWake(key, s, s.n, now)
  elseif not flowBlocked(s, now) then flowUnparkOne(key, s) end
end

-- The first limit that stops a start now: its key, and the time that lifts it (nil: a slot must free).
local function flowBlocking(limits, now)
  for _, l in ipairs(limits) do
    local s = flowGet(l.key)
    if s then
      if s.n > now then return l.key, s.n end
      if not l.perMs and s.a >= l.max then return l.key, nil end
    end
  end
  return nil, nil
end

-- A start: concurrency slots taken, rate limits' next start moved on by perMs / max.
local function flowTake(limits, now)
  for _, l in ipairs(limits) do
    local s = flowState(l.key)
    if l.perMs then s.n = math.max(s.n, now) + l.perMs / l.max
    else s.a = s.a + 1; s.m = l.max end
  end
  for _, l in ipairs(limits) do flowTouch(l.key, now) end
end

-- The job left `active`: its concurrency slots come back.
local function flowGive(limits, now)
  if not limits then return end
  for _, l in ipairs(limits) do
    if not l.perMs then
      local s = flowGet(l.key)
      if s then s.a = math.max(0, s.a - 1); flowDirty[l.key] = true end
      flowTouch(l.key, now)
    end
  end
end

-- A claimed job over its limit leaves the line for the key's zset; `q` and `name` count it as throttled.
local function flowPark(id, key, untilAt, now, priority, seq, q, name)
  rcall("ZADD", flowParkedOf(key), waitScore(priority, seq), id)
  rcall("HSET", jobKey(id), "pk", key)
  rcall("HINCRBY", BASE .. "fthr", q .. "\0" .. name, 1)
  local s = flowState(key)
  s.p = s.p + 1
  if untilAt then flowScheduleWake(key, s, untilAt, now) end
end

-- ctx.rateLimited: the job's keys start nothing until `untilAt`; a job with none holds its queue.
local function flowPause(limits, q, untilAt, now)
  if not limits then
    local cur = tonumber(rcall("HGET", FLOW_HOLDS, q) or "0")
    if untilAt > cur then rcall("HSET", FLOW_HOLDS, q, int(untilAt)) end
    return
  end
  for _, l in ipairs(limits) do
    local s = flowState(l.key)
    if untilAt > s.n then s.n = untilAt end
    flowTouch(l.key, now)
  end
end

local function flowHeld(q, now)
  local u = rcall("HGET", FLOW_HOLDS, q)
  return u and tonumber(u) > now
end

-- Keys whose time came: each may let one parked job back.
local function flowWakeDue(now)
  local keys = rcall("ZRANGEBYSCORE", FLOW_WAKES, "-inf", now, "LIMIT", 0, 1000)
  if #keys == 0 then return end
  remMany("ZREM", FLOW_WAKES, keys)
  for _, key in ipairs(keys) do
    local s = flowGet(key)
    if s then
      s.w = nil
      flowDirty[key] = true
      flowTouch(key, now)
    end
  end
end

-- Writes the keys a script changed; drops idle ones.
local function flowFlush(now)
  for key in pairs(flowDirty) do
    local s = flowCache[key]
    if s then
      local fk = flowKeyOf(key)
      if (s.p > 0) ~= (s.p0 > 0) then
        if s.p > 0 then rcall("SADD", BASE .. "fpk", key) else rcall("SREM", BASE .. "fpk", key) end
        s.p0 = s.p
      end
      if s.a <= 0 and s.p <= 0 and s.n <= now then
        rcall("DEL", fk)
      else
        -- One write per key: the fields that matter, and `w` removed only when it was set.
        local f = { "a", s.a, "n", string.format("%.17g", s.n), "p", s.p }
        if s.m then f[#f + 1] = "m"; f[#f + 1] = s.m end
        if s.w then f[#f + 1] = "w"; f[#f + 1] = string.format("%.17g", s.w) end
        rcall("HSET", fk, unpack(f))
        if s.w0 and not s.w then rcall("HDEL", fk, "w") end
        s.w0 = s.w
        -- Only a start time left (a rate key after its last start): the sweep drops it once that passes.
        if s.a <= 0 and s.p <= 0 then rcall("ZADD", BASE .. "fidle", s.n, key) end
      end
    end
  end
  flowDirty = {}
end

-- Drops up to `limit` keys that hold nothing any more (rescue-expired.lua's periodic pass).
local function flowSweep(now, limit)
  local keys = rcall("ZRANGEBYSCORE", BASE .. "fidle", "-inf", now, "LIMIT", 0, limit)
  if #keys == 0 then return end
  remMany("ZREM", BASE .. "fidle", keys)
  for _, key in ipairs(keys) do
    local h = rcall("HMGET", flowKeyOf(key), "a", "p", "n")
    if h[1] and tonumber(h[1]) <= 0 and tonumber(h[2] or "0") <= 0 and tonumber(h[3] or "0") <= now then rcall("DEL", flowKeyOf(key)) end
  end
end

-- A waiting job leaves the line some other way (cancel, remove): out of its key's zset if parked.
local function flowUnqueueParked(id)
  local key = rcall("HGET", jobKey(id), "pk")
  if not key then return false end
  rcall("HDEL", jobKey(id), "pk")
  if rcall("ZREM", flowParkedOf(key), id) == 1 then
    local fk = flowKeyOf(key)
    if rcall("EXISTS", fk) == 1 and tonumber(rcall("HGET", fk, "p") or "0") > 0 then
      if rcall("HINCRBY", fk, "p", -1) == 0 then rcall("SREM", BASE .. "fpk", key) end
    end
  end
  return true
end
