--[[
  retry-failed: bring up to `limit` failed jobs of one queue back to waiting,
  oldest failure first, each as retry-job does (attempts and stalls reset,
  a fresh place at the end of the line, the unique key held again). A job
  whose unique key another live job holds is skipped and stays failed.
  KEYS[1]  <base>q:<queue>:failed   zset: the queue's failed jobs by finishedAt
  ARGV[1]  key base
  ARGV[2]  now (epoch ms)
  ARGV[3]  queue
  ARGV[4]  limit: jobs examined
  ARGV[5]  unique-key hold (ms)
  Reply: {{retried ids...}, {skipped ids...}}
]]
local now, q, limit, ttl = ARGV[2], ARGV[3], tonumber(ARGV[4]), tonumber(ARGV[5])
local retried, skipped = {}, {}
if limit < 1 then return { retried, skipped } end
local lists, zsets = {}, {}
for _, id in ipairs(rcall("ZRANGE", KEYS[1], 0, limit - 1)) do
  local jk = jobKey(id)
  local f = rcall("HMGET", jk, "p", "n", "y")
  local taken = false
  if f[3] then
    local uk = uniqueKeyOf(f[2], f[3])
    local held = rcall("GET", uk)
    if held then
      local sep = string.find(held, ":", 1, true)
      local heldId = string.sub(held, sep + 1)
      taken = heldId ~= id and tonumber(string.sub(held, 1, sep - 1)) > tonumber(now) and LIVE[rcall("HGET", jobKey(heldId), "s") or ""]
    end
    if not taken then rcall("SET", uk, int(tonumber(now) + ttl) .. ":" .. id, "PX", ttl) end
  end
  if taken then
    skipped[#skipped + 1] = id
  else
    detach(id, "failed", q, f[1])
    local seq = rcall("INCR", BASE .. "seq")
    rcall("HSET", jk, "s", "waiting", "r", now, "i", seq)
    rcall("HDEL", jk, "a", "x", "f", "o", "g", "l")
    queueWaiting(lists, zsets, id, q, f[1], seq)
    retried[#retried + 1] = id
  end
end
if #retried > 0 then
  flushWaiting(lists, zsets)
  local deltas = {}
  bump(deltas, "failed", q, -#retried)
  bump(deltas, "waiting", q, #retried)
  flushCounts(deltas)
  pushMarkers({ [q] = #retried })
end
return { retried, skipped }
