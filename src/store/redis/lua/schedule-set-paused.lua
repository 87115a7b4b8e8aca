--[[
  schedule-set-paused: pause or resume a cron schedule, keeping its last slot.
  KEYS[1]  <base>schedules   hash: name -> "<lastSlot or empty>|<paused 0/1>|<lastJobId>"
  ARGV[1]  key base "{<prefix>}:" (unused; kept for the shared convention)
  ARGV[2]  schedule name
  ARGV[3]  "1" to pause, "0" to resume
  Reply: "ok"
]]
local cur = rcall("HGET", KEYS[1], ARGV[2])
local last, jobId = "", ""
if cur then
  local sep1 = string.find(cur, "|", 1, true)
  last = string.sub(cur, 1, sep1 - 1)
  jobId = string.sub(cur, sep1 + 3)
end
rcall("HSET", KEYS[1], ARGV[2], last .. "|" .. ARGV[3] .. "|" .. jobId)
return "ok"
