--[[
  resume-queue: un-pause a queue and wake as many idle workers as it has
  waiting jobs (up to the marker cap).
  KEYS[1]  <base>paused
  ARGV[1]  key base
  ARGV[2]  queue
  Reply: "ok"
]]
local q = ARGV[2]
rcall("SREM", KEYS[1], q)
pushMarkers({ [q] = waitingCount(q) })
return "ok"
