--[[
  enqueue: store a batch of new jobs, all in one step. A job whose id exists,
  or whose unique key is held by a live job, is deduplicated onto that job;
  later jobs in the batch see earlier ones.
  KEYS[1]  <base>idx
  ARGV[1]  key base "{<prefix>}:"
  ARGV[2]  now (epoch ms)
  ARGV[3..] 10 fields per job:
           id ("" = number it: the next value of <base>jobid), explicit ("1": the caller chose the id),
           name, queue, data (JSON, "" = undefined), priority, maxAttempts,
           runAt, unique ("" = none, else "k" .. key), uniqueTtlMs
  Reply: flat pairs per job, in batch order: id, "1" if deduplicated onto an existing job else "0".
]]
local now = tonumber(ARGV[2])
local nowText = ARGV[2]
local live = { waiting = true, delayed = true, active = true }
local count = (#ARGV - 2) / 10
local seq = rcall("INCRBY", BASE .. "seq", count) - count
local perQueue, reply = {}, {}
local index, delayed = {}, {}
for i = 3, #ARGV, 10 do
  local id, explicit, name, q, data = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3], ARGV[i + 4]
  local priority, maxAttempts, runAtText, uniq = ARGV[i + 5], ARGV[i + 6], ARGV[i + 7], ARGV[i + 8]
  local dup = nil
  if explicit == "1" and rcall("EXISTS", jobKey(id)) == 1 then dup = id end
  local uk, ukey = nil, nil
  if not dup and uniq ~= "" then
    ukey = string.sub(uniq, 2)
    uk = uniqueKeyOf(name, ukey)
    local held = rcall("GET", uk)
    if held then
      local sep = string.find(held, ":", 1, true)
      local heldId = string.sub(held, sep + 1)
      if tonumber(string.sub(held, 1, sep - 1)) > now and live[rcall("HGET", jobKey(heldId), "state") or ""] then dup = heldId end
    end
  end
  if dup then
    reply[#reply + 1] = dup
    reply[#reply + 1] = "1"
  else
    -- Numbered only when stored: a deduplicated job uses no number, as in every store.
    if id == "" then id = tostring(rcall("INCR", BASE .. "jobid")) end
    local jk = jobKey(id)
    reply[#reply + 1] = id
    reply[#reply + 1] = "0"
    seq = seq + 1
    local runAt = tonumber(runAtText)
    local state = "waiting"
    if runAt > now then state = "delayed" end
    -- attemptsMade and stalls start absent (0); runAt is stored only when it differs from createdAt.
    if data ~= "" and runAtText == nowText then
      rcall("HSET", jk, "name", name, "queue", q, "state", state, "priority", priority, "maxAttempts", maxAttempts,
        "createdAt", nowText, "seq", seq, "data", data)
    else
      local f = { "name", name, "queue", q, "state", state, "priority", priority, "maxAttempts", maxAttempts,
        "createdAt", nowText, "seq", seq }
      if data ~= "" then f[#f + 1] = "data"; f[#f + 1] = data end
      if runAtText ~= nowText then f[#f + 1] = "runAt"; f[#f + 1] = runAtText end
      rcall("HSET", jk, unpack(f))
    end
    if ukey then
      local ttl = ARGV[i + 9]
      rcall("HSET", jk, "uniqueKey", ukey)
      rcall("SET", uk, string.format("%.0f", now + tonumber(ttl)) .. ":" .. id, "PX", ttl)
    end
    local n = #index
    index[n + 1], index[n + 2] = 0, indexMember(nowText, id)
    local pq = perQueue[q]
    if not pq then
      pq = { waiting = {}, delayed = 0 }
      perQueue[q] = pq
    end
    if state == "waiting" then
      local w = pq.waiting
      n = #w
      w[n + 1], w[n + 2] = waitScore(priority, seq), id
    else
      n = #delayed
      delayed[n + 1], delayed[n + 2] = runAt, id
      pq.delayed = pq.delayed + 1
    end
  end
end
zaddMany(KEYS[1], index)
zaddMany(BASE .. "delayed", delayed)
local deltas, marks = {}, {}
for q, pq in pairs(perQueue) do
  local waiting = #pq.waiting / 2
  zaddMany(waitKey(q), pq.waiting)
  deltas["waiting:" .. q] = waiting
  deltas["delayed:" .. q] = pq.delayed
  -- A delayed job gets one marker too: it wakes a waiter to re-arm its timer for the new due time.
  marks[q] = waiting
  if waiting == 0 and pq.delayed > 0 then marks[q] = 1 end
end
flushCounts(deltas)
pushMarkers(marks)
return reply
