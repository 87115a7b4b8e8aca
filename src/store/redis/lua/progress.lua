--[[
  progress: store a running job's progress if the lease token still matches.
  KEYS[1]  <base>j:<id>
  ARGV[1]  key base (unused; kept for the shared convention)
  ARGV[2]  lease token
  ARGV[3]  progress (JSON)
  Reply: "ok" | "not_held"
]]
local f = rcall("HMGET", KEYS[1], "s", "k")
if f[1] ~= "active" or f[2] ~= ARGV[2] then return "not_held" end
rcall("HSET", KEYS[1], "g", ARGV[3])
return "ok"
