--[[
  retry-job: bring a failed, cancelled or completed job back to waiting
  with attempts and stalls reset and a fresh place at the end of the line.
  KEYS[1]  <base>j:<id>
  ARGV[1]  key base
  ARGV[2]  now (epoch ms)
  ARGV[3]  job id
  ARGV[4]  unique-key hold (ms) for a job that has a key: live again, it holds the key again
  Reply: {"ok", {field, value, ...}} | {"not_found"} | {"invalid_state", state}
         | {"unique_taken", key, holder id} when another live job holds the job's key
]]
local id, now = ARGV[3], ARGV[2]
local f = rcall("HMGET", KEYS[1], "s", "q", "p", "n", "y")
local state, q = f[1], f[2]
if not state then return { "not_found" } end
if state ~= "failed" and state ~= "cancelled" and state ~= "completed" then return { "invalid_state", state } end
if f[5] then
  local uk = uniqueKeyOf(f[4], f[5])
  local held = rcall("GET", uk)
  if held then
    local sep = string.find(held, ":", 1, true)
    local heldId = string.sub(held, sep + 1)
    if heldId ~= id and tonumber(string.sub(held, 1, sep - 1)) > tonumber(now) and LIVE[rcall("HGET", jobKey(heldId), "s") or ""] then
      return { "unique_taken", f[5], heldId }
    end
  end
  local ttl = tonumber(ARGV[4])
  rcall("SET", uk, int(tonumber(now) + ttl) .. ":" .. id, "PX", ttl)
end
detach(id, state, q, f[3])
local seq = rcall("INCR", BASE .. "seq")
rcall("HSET", KEYS[1], "s", "waiting", "r", now, "i", seq)
rcall("HDEL", KEYS[1], "a", "x", "f", "o", "g", "l")
local lists, zsets = {}, {}
queueWaiting(lists, zsets, id, q, f[3], seq)
flushWaiting(lists, zsets)
local deltas = {}
bump(deltas, state, q, -1)
bump(deltas, "waiting", q, 1)
flushCounts(deltas)
pushMarkers({ [q] = 1 })
return { "ok", rcall("HGETALL", KEYS[1]) }
