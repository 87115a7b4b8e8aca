--[[
  retry-failed: bring up to `limit` failed jobs of one queue back to waiting,
  oldest failure first, each as retry-job does (attempts and stalls reset,
  a fresh place at the end of the line, the unique key held again). A job
  whose unique key another live job holds is skipped and stays failed.
  KEYS[1]  <base>q:<queue>:failed   zset: the queue's failed jobs by finishedAt
  ARGV[1]  key base "{<prefix>}:"
  ARGV[2]  now (epoch ms)
  ARGV[3]  queue
  ARGV[4]  limit: jobs examined
  ARGV[5]  unique-key hold (ms)
  Reply: {{retried ids...}, {skipped ids...}}
]]
local now, q, limit, ttl = ARGV[2], ARGV[3], tonumber(ARGV[4]), tonumber(ARGV[5])
local retried, skipped = {}, {}
if limit < 1 then return { retried, skipped } end
local ids = rcall("ZRANGE", KEYS[1], 0, limit - 1)
for _, id in ipairs(ids) do
  local jk = jobKey(id)
  local f = rcall("HMGET", jk, "priority", "name", "uniqueKey")
  local taken = false
  if f[3] then
    local uk = uniqueKeyOf(f[2], f[3])
    local held = rcall("GET", uk)
    if held then
      local sep = string.find(held, ":", 1, true)
      local heldId = string.sub(held, sep + 1)
      local heldState = rcall("HGET", jobKey(heldId), "state")
      taken = heldId ~= id and tonumber(string.sub(held, 1, sep - 1)) > tonumber(now)
        and (heldState == "waiting" or heldState == "delayed" or heldState == "active")
    end
    if not taken then rcall("SET", uk, string.format("%.0f", tonumber(now) + ttl) .. ":" .. id, "PX", ttl) end
  end
  if taken then
    skipped[#skipped + 1] = id
  else
    rcall("ZREM", KEYS[1], id)
    local seq = rcall("INCR", BASE .. "seq")
    rcall("HSET", jk, "state", "waiting", "attemptsMade", 0, "stalls", 0, "runAt", now, "seq", seq)
    rcall("HDEL", jk, "finishedAt", "result", "progress", "logs")
    pushWaiting(id, q, f[1], seq)
    retried[#retried + 1] = id
  end
end
if #retried > 0 then
  local deltas = {}
  bump(deltas, "failed", q, -#retried)
  bump(deltas, "waiting", q, #retried)
  flushCounts(deltas)
  pushMarkers({ [q] = #retried })
end
return { retried, skipped }
