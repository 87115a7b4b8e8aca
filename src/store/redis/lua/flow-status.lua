--[[
  flow-status: the flow keys of a slot holding jobs back (lib-flow.lua), for
  status, the dashboard and metrics, and the throttled counts. Read only.
  KEYS[1]  <base>fpk
  ARGV[1]  key base
  ARGV[2]  most keys to report
  Reply: { {key, active, max or "", nextAt, parked, first parked job's runAt or ""}, ... },
         { field, count, ... } of <base>fthr
]]
local keys = rcall("SRANDMEMBER", KEYS[1], tonumber(ARGV[2]))
local out = {}
for _, key in ipairs(keys) do
  local h = rcall("HMGET", BASE .. "fk:" .. key, "a", "m", "n", "p")
  local first = rcall("ZRANGE", BASE .. "fp:" .. key, 0, 0)
  local since = ""
  if first[1] then
    local f = rcall("HMGET", jobKey(first[1]), "r", "c")
    since = f[1] or f[2] or ""
  end
  out[#out + 1] = { key, h[1] or "0", h[2] or "", h[3] or "0", h[4] or "0", since }
end
return { out, rcall("HGETALL", BASE .. "fthr") }
