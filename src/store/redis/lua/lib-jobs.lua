--[[
  Steps several scripts share, part of the shared helpers (see lib.lua):
  promoting due jobs, completing held jobs, deleting a job, storing new
  jobs and dropping staged ones.
]]

-- Move up to `limit` delayed jobs due at `now` to waiting, with a fresh FIFO seq.
local function promoteDue(now, limit)
  local dk = BASE .. "delayed"
  local ids = rcall("ZRANGEBYSCORE", dk, "-inf", now, "LIMIT", 0, limit)
  if #ids == 0 then return 0 end
  local deltas, marks, lists, zsets, moved = {}, {}, {}, {}, 0
  remMany("ZREM", dk, ids)
  local seq = rcall("INCRBY", BASE .. "seq", #ids) - #ids
  for _, id in ipairs(ids) do
    local jk = jobKey(id)
    local f = rcall("HMGET", jk, "s", "q", "p")
    if f[1] == "delayed" then
      seq = seq + 1
      rcall("HSET", jk, "s", "waiting", "i", seq)
      queueWaiting(lists, zsets, id, f[2], f[3], seq)
      bump(deltas, "delayed", f[2], -1)
      bump(deltas, "waiting", f[2], 1)
      marks[f[2]] = (marks[f[2]] or 0) + 1
      moved = moved + 1
    end
  end
  flushWaiting(lists, zsets)
  flushCounts(deltas)
  pushMarkers(marks)
  return moved
end

-- Finish jobs the worker still holds, storing their results; references to
-- leases it lost are ignored. `refs` holds triples from index `from`:
-- job id, lease token, result (JSON; "" = undefined). Returns how many finished.
local function completeHeld(worker, now, refs, from)
  local done, perQueue, finished = {}, {}, {}
  for i = from, #refs, 3 do
    local id, token, result = refs[i], refs[i + 1], refs[i + 2]
    local jk = jobKey(id)
    local f = rcall("HMGET", jk, "s", "w", "k", "q", "a", "n", "y", "fl")
    if f[1] == "active" and f[2] == worker and f[3] == token then
      if f[8] then flowGive(flowLimits(f[8]), tonumber(now)) end
      local q = f[4]
      -- An active job has no result field (retry-job deletes it), so "" needs no HDEL.
      if result == "" then
        rcall("HSET", jk, "s", "completed", "f", now, "a", (tonumber(f[5]) or 0) + 1)
      else
        rcall("HSET", jk, "s", "completed", "f", now, "a", (tonumber(f[5]) or 0) + 1, "o", result)
      end
      local list = finished[q]
      if not list then list = {}; finished[q] = list; perQueue[q] = 0 end
      list[#list + 1] = now
      list[#list + 1] = id
      perQueue[q] = perQueue[q] + 1
      if f[7] then freeUnique(id, f[6], f[7]) end
      done[#done + 1] = id
    end
  end
  if #done == 0 then return 0 end
  remMany("SREM", BASE .. "active", done)
  local deltas = {}
  for q, list in pairs(finished) do
    zaddMany(doneKey(q, "completed"), list)
    deltas["active:" .. q] = -perQueue[q]
    deltas["completed:" .. q] = perQueue[q]
  end
  flushCounts(deltas)
  return #done
end

-- Deletes a job that is in no queue structure any more: its index key, unique key and hash.
local function deleteJob(id, f)
  -- f: {createdAt, name, uniqueKey}
  if f[1] then ixRemove(f[1], id) end
  freeUnique(id, f[2], f[3])
  rcall("DEL", jobKey(id))
end

-- Storing new jobs (enqueue.lua, enqueue-publish.lua).

-- What one batch of new jobs adds besides their hashes, written once at the end (enqueueFlush).
-- Job ids are numbers n * step + offset: a deployment with queue tags gives each tag
-- its own residue, so no two tags hand out one id (step 1, offset 0 without tags).
local function enqueueContext(nowText, step, offset)
  return { now = tonumber(nowText), nowText = nowText, step = tonumber(step), offset = tonumber(offset),
    lists = {}, zsets = {}, delayed = {}, keys = {}, deltas = {}, marks = {}, delayedQueues = {},
    -- Keys of numbered jobs of one batch come in index order; an explicit id may not.
    sorted = true }
end

local function numberedId(ctx, n) return int(n * ctx.step + ctx.offset) end

-- The id an enqueue deduplicates onto: the same explicit id, or a live job holding the unique key
-- ("" = none; else "k" .. key). Earlier jobs of the batch are already stored, so they count.
local function duplicateOf(ctx, id, explicit, name, uniq)
  if explicit == "1" and rcall("EXISTS", jobKey(id)) == 1 then return id end
  if uniq ~= "" then
    local held = rcall("GET", uniqueKeyOf(name, string.sub(uniq, 2)))
    if held then
      local sep = string.find(held, ":", 1, true)
      local heldId = string.sub(held, sep + 1)
      if tonumber(string.sub(held, 1, sep - 1)) > ctx.now and LIVE[rcall("HGET", jobKey(heldId), "s") or ""] then return heldId end
    end
  end
  return nil
end

-- The FIFO seq at the front of one priority level of a queue's line, if any.
local function lineHeadSeq(q, priority)
  local p = tonumber(priority) or 0
  local zk = prioKey(q)
  local z = rcall("ZRANGEBYSCORE", zk, p * PRIORITY_SHIFT, "(" .. string.format("%.0f", (p + 1) * PRIORITY_SHIFT), "WITHSCORES", "LIMIT", 0, 1)
  local zs = z[2] and (tonumber(z[2]) - p * PRIORITY_SHIFT)
  if p ~= 0 then return zs end
  local l = rcall("LINDEX", listKey(q), 0)
  local ls = l and tonumber(rcall("HGET", jobKey(l), "i"))
  if zs and ls then return math.min(zs, ls) end
  return zs or ls
end

-- A grouped job's place in line (fair share, lib-flow.lua): one past its group's last place,
-- never ahead of the line's head, so an idle group joins the current round. It waits in the
-- zset (even at priority 0), where reserve's popFront merges it with the FIFO list by seq.
local function fairPlace(ctx, id, q, priority, group, seq)
  local k = q .. "\0" .. (tonumber(priority) or 0) .. "\0" .. group
  local head = lineHeadSeq(q, priority) or seq
  local last = tonumber(rcall("HGET", BASE .. "fg", k))
  local place = head
  if last and last + 1 >= head then place = last + 1 end
  rcall("HSET", BASE .. "fg", k, string.format("%.0f", place))
  push(ctx.zsets, q, waitScore(priority, place), id)
  return place
end

-- Routes a stored job into line (or the delayed set) and counts it, for enqueueFlush.
-- `group`: its fair-share group, if any (then it is placed at once, not at the flush).
local function placeNew(ctx, id, q, priority, runAt, seq, group)
  ctx.keys[#ctx.keys + 1] = { ctx.now, id }
  if runAt > ctx.now then
    local d = ctx.delayed
    d[#d + 1] = runAt; d[#d + 1] = id
    bump(ctx.deltas, "delayed", q, 1)
    ctx.delayedQueues[q] = true
    return "delayed"
  end
  if group then
    -- Placed now: the next grouped job of this batch must see it as its group's last.
    flushWaiting(ctx.lists, ctx.zsets)
    ctx.lists, ctx.zsets = {}, {}
    local place = fairPlace(ctx, id, q, priority, group, seq)
    flushWaiting(ctx.lists, ctx.zsets)
    ctx.lists, ctx.zsets = {}, {}
    rcall("HSET", jobKey(id), "i", string.format("%.0f", place))
  else
    queueWaiting(ctx.lists, ctx.zsets, id, q, priority, seq)
  end
  bump(ctx.deltas, "waiting", q, 1)
  ctx.marks[q] = (ctx.marks[q] or 0) + 1
  return "waiting"
end

-- Writes one new job's hash: `state` nil writes a staged job (no `s`, no seq).
-- attemptsMade and stalls start absent (0); priority 0, runAt = createdAt and no data are absent too.
local function writeJob(ctx, id, state, name, q, data, priority, maxAttempts, runAtText, uniq, ttl, seq, fl)
  local f = { "n", name, "q", q, "m", maxAttempts, "c", ctx.nowText }
  if fl and fl ~= "" then f[#f + 1] = "fl"; f[#f + 1] = fl end
  if state then f[#f + 1] = "s"; f[#f + 1] = state end
  if state == "waiting" then f[#f + 1] = "i"; f[#f + 1] = seq end
  if priority ~= "0" then f[#f + 1] = "p"; f[#f + 1] = priority end
  if data ~= "" then f[#f + 1] = "d"; f[#f + 1] = data end
  if runAtText ~= ctx.nowText then f[#f + 1] = "r"; f[#f + 1] = runAtText end
  if uniq ~= "" then
    local key = string.sub(uniq, 2)
    f[#f + 1] = "y"; f[#f + 1] = key
    rcall("SET", uniqueKeyOf(name, key), int(ctx.now + tonumber(ttl)) .. ":" .. id, "PX", ttl)
  end
  rcall("HSET", jobKey(id), unpack(f))
end

-- Stores one new job from its 11 enqueue fields (see enqueue.lua), or deduplicates it.
-- `n` is its job number when the caller numbered it already. Returns id, "1" if deduplicated else "0".
local function enqueueOne(ctx, fields, seq, n)
  local id, explicit, name, q, data, priority, maxAttempts, runAtText, uniq, ttl, fl = unpack(fields)
  local dup = duplicateOf(ctx, id, explicit, name, uniq)
  if dup then return dup, "1" end
  -- Numbered only when stored: a deduplicated job uses no number, as in every store.
  if id == "" then id = numberedId(ctx, n or rcall("INCR", BASE .. "jobid")) elseif explicit == "1" then ctx.sorted = false end
  local runAt = tonumber(runAtText)
  local state = "waiting"
  if runAt > ctx.now then state = "delayed" end
  writeJob(ctx, id, state, name, q, data, priority, maxAttempts, runAtText, uniq, ttl, seq, fl)
  placeNew(ctx, id, q, priority, runAt, seq, flowGroup(fl))
  return id, "0"
end

local function enqueueFlush(ctx)
  ixAdd(ctx.keys, ctx.sorted)
  flushWaiting(ctx.lists, ctx.zsets)
  zaddMany(BASE .. "delayed", ctx.delayed)
  flushCounts(ctx.deltas)
  -- A delayed job gets one marker too: it wakes a waiter to re-arm its timer for the new due time.
  for q in pairs(ctx.delayedQueues) do
    if not ctx.marks[q] then ctx.marks[q] = 1 end
  end
  pushMarkers(ctx.marks)
end

-- Deletes up to `budget` jobs of a staged bulk enqueue that will not be
-- published (it failed, or its client vanished). Returns true when the stage is gone.
local function dropStaged(token, budget)
  local sk = BASE .. "stage:" .. token
  local entries = rcall("LRANGE", sk, 0, budget - 1)
  for _, e in ipairs(entries) do
    -- Deferred entries (unique key or explicit id) stored nothing yet; staged hashes have no index key.
    if string.byte(e, 1) ~= 0 then rcall("DEL", jobKey(e)) end
  end
  if #entries < budget then
    rcall("DEL", sk)
    rcall("ZREM", BASE .. "staging", token)
    return true
  end
  rcall("LTRIM", sk, budget, -1)
  return false
end
