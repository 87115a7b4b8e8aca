--[[
  schedule-record-slot: remember the newest enqueued cron slot; lastSlot only moves forward.
  KEYS[1]  <base>schedules   hash: name -> "<lastSlot or empty>|<paused 0/1>|<lastJobId>"
  ARGV[1]  key base "{<prefix>}:" (unused; kept for the shared convention)
  ARGV[2]  schedule name
  ARGV[3]  slot (epoch ms)
  ARGV[4]  job id
  Reply: "recorded" | "older"
]]
local cur = rcall("HGET", KEYS[1], ARGV[2])
local last, paused = "", "0"
if cur then last, paused = string.match(cur, "^([^|]*)|([01])|") end
if last ~= "" and tonumber(ARGV[3]) <= tonumber(last) then return "older" end
rcall("HSET", KEYS[1], ARGV[2], ARGV[3] .. "|" .. paused .. "|" .. ARGV[4])
return "recorded"
