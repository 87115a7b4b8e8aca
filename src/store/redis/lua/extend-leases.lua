--[[
  extend-leases: renew the leases a worker still holds. With allow-oom: a
  full Redis must not make running jobs look abandoned.
  KEYS[1]  <base>active
  ARGV[1]  key base
  ARGV[2]  now (epoch ms)
  ARGV[3]  worker id
  ARGV[4]  lease length, ms
  ARGV[5..] pairs: job id, lease token
  Reply: the ids the worker no longer holds (cancelled, rescued, re-reserved, gone).
]]
local leaseUntil = tonumber(ARGV[2]) + tonumber(ARGV[4])
local worker = ARGV[3]
local lost = {}
for i = 5, #ARGV, 2 do
  local id, token = ARGV[i], ARGV[i + 1]
  local jk = jobKey(id)
  local f = rcall("HMGET", jk, "s", "w", "k")
  if f[1] == "active" and f[2] == worker and f[3] == token then
    rcall("HSET", jk, "u", int(leaseUntil))
  else
    lost[#lost + 1] = id
  end
end
return lost
