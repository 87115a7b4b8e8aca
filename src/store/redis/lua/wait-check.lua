--[[
  wait-check: before an idle worker blocks, is there work for its queues
  now, and when is the next delayed job due? When there is nothing, the
  queues' markers are stale (their jobs were taken by busy workers), so they
  are dropped here: blocking then wakes only for work that arrives later.
  KEYS[1]  <base>delayed
  ARGV[1]  key base
  ARGV[2]  now (epoch ms)
  ARGV[3..] queue names
  Reply: {"ready"} | {"idle", next due epoch ms or ""}
]]
local first = rcall("ZRANGE", KEYS[1], 0, 0, "WITHSCORES")
if first[2] and tonumber(first[2]) <= tonumber(ARGV[2]) then return { "ready" } end
local paused = BASE .. "paused"
for i = 3, #ARGV do
  if rcall("SISMEMBER", paused, ARGV[i]) == 0 and waitingCount(ARGV[i]) > 0 then return { "ready" } end
end
for i = 3, #ARGV do rcall("DEL", markerKey(ARGV[i])) end
return { "idle", first[2] or "" }
