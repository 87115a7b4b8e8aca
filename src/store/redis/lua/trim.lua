--[[
  trim: delete one queue's oldest finished jobs in one state past the
  retention policy: beyond the newest maxCount, or finished more than
  maxAgeMs ago. Both sets are oldest-first prefixes of the zset, so the
  victims are its first max(overCount, overAge) members, at most `batch`.
  With allow-oom: it frees memory.
  KEYS[1]  <base>q:<queue>:<state>   (state: completed | failed | cancelled)
  ARGV[1]  key base
  ARGV[2]  now (epoch ms)
  ARGV[3]  queue
  ARGV[4]  state: completed | failed | cancelled
  ARGV[5]  maxAgeMs (cancelled: the failed limit)
  ARGV[6]  maxCount (cancelled: the failed limit)
  ARGV[7]  batch: most jobs to delete in this call
  Reply: {number deleted, as a string}
]]
local q, state = ARGV[3], ARGV[4]
local cutoff = tonumber(ARGV[2]) - tonumber(ARGV[5])
local overCount = rcall("ZCARD", KEYS[1]) - tonumber(ARGV[6])
local overAge = rcall("ZCOUNT", KEYS[1], "-inf", "(" .. int(cutoff))
local n = math.min(math.max(overCount, overAge), tonumber(ARGV[7]))
if n <= 0 then return { "0" } end
local ids = rcall("ZRANGE", KEYS[1], 0, n - 1)
for _, id in ipairs(ids) do
  deleteJob(id, rcall("HMGET", jobKey(id), "c", "n", "y"))
end
remMany("ZREM", KEYS[1], ids)
rcall("HINCRBY", BASE .. "counts", state .. ":" .. q, -#ids)
return { tostring(#ids) }
