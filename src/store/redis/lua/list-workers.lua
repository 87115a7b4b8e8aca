--[[
  list-workers: live workers; entries whose heartbeat expired are deleted.
  KEYS[1]  <base>workers   hash: worker id -> "<expiresAt>|<WorkerInfo JSON>"
  ARGV[1]  key base "{<prefix>}:" (unused; kept for the shared convention)
  ARGV[2]  now (epoch ms)
  Reply: the WorkerInfo JSON of each live worker.
]]
local now = tonumber(ARGV[2])
local all = rcall("HGETALL", KEYS[1])
local live = {}
for i = 1, #all, 2 do
  local v = all[i + 1]
  local sep = string.find(v, "|", 1, true)
  if tonumber(string.sub(v, 1, sep - 1)) > now then
    live[#live + 1] = string.sub(v, sep + 1)
  else
    rcall("HDEL", KEYS[1], all[i])
  end
end
return live
