--[[
  leader-release: give up the named lease if `holder` has it.
  KEYS[1]  <base>leader:<name>
  ARGV[1]  key base "{<prefix>}:" (unused; kept for the shared convention)
  ARGV[2]  holder
  Reply: "released" | "not_holder"
]]
if rcall("HGET", KEYS[1], "holder") ~= ARGV[2] then return "not_holder" end
rcall("HDEL", KEYS[1], "holder", "token", "until")
return "released"
