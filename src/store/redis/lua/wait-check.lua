--[[
  wait-check: before an idle worker blocks, is there work for its queues
  now, and when is the next delayed job due? When there is nothing, the
  queues' markers are stale (their jobs were taken by busy workers), so they
  are dropped here: blocking then wakes only for work that arrives later.
  KEYS[1]  <base>delayed
  ARGV[1]  key base
  ARGV[2]  now (epoch ms)
  ARGV[3..] queue names
  Reply: {"ready"} | {"idle", next due epoch ms or ""}: the next delayed job,
         flow key freeing up by time (lib-flow.lua) or queue hold ending
]]
local now = tonumber(ARGV[2])
local first = rcall("ZRANGE", KEYS[1], 0, 0, "WITHSCORES")
if first[2] and tonumber(first[2]) <= now then return { "ready" } end
local wake = rcall("ZRANGE", FLOW_WAKES, 0, 0, "WITHSCORES")
if wake[2] and tonumber(wake[2]) <= now then return { "ready" } end
local next = tonumber(first[2])
local function sooner(t) if t and (not next or t < next) then next = t end end
sooner(tonumber(wake[2]))
local paused = BASE .. "paused"
for i = 3, #ARGV do
  local q = ARGV[i]
  local held = tonumber(rcall("HGET", FLOW_HOLDS, q) or "0")
  if held > now then sooner(held)
  elseif rcall("SISMEMBER", paused, q) == 0 and waitingCount(q) > 0 then return { "ready" } end
end
for i = 3, #ARGV do rcall("DEL", markerKey(ARGV[i])) end
if next then return { "idle", string.format("%.0f", math.ceil(next)) } end
return { "idle", "" }
