--[[
  list-workers: every worker record, live or lapsed (a dead worker stays
  visible for keepMs after its heartbeat lapsed, then is deleted).
  KEYS[1]  <base>workers   hash: worker id -> "<expiresAt>|<WorkerInfo JSON>"
  ARGV[1]  key base "{<prefix>}:"
  ARGV[2]  now (epoch ms)
  ARGV[3]  keepMs: how long a lapsed record is kept
  Reply: {expiresAt, WorkerInfo JSON} per kept worker.
]]
local now, keep = tonumber(ARGV[2]), tonumber(ARGV[3])
local all = rcall("HGETALL", KEYS[1])
local out = {}
for i = 1, #all, 2 do
  local v = all[i + 1]
  local sep = string.find(v, "|", 1, true)
  local expires = string.sub(v, 1, sep - 1)
  if tonumber(expires) + keep > now then
    out[#out + 1] = { expires, string.sub(v, sep + 1) }
  else
    rcall("HDEL", KEYS[1], all[i])
  end
end
return out
