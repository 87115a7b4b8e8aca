--[[
  remove-job: delete a job that is not active, from every structure.
  With allow-oom: it frees memory.
  KEYS[1]  <base>j:<id>
  ARGV[1]  key base
  ARGV[2]  job id
  Reply: {"ok"} | {"not_found"} | {"invalid_state", state}
]]
local id = ARGV[2]
local f = rcall("HMGET", KEYS[1], "s", "q", "c", "n", "y", "p")
local state, q = f[1], f[2]
if not state then return { "not_found" } end
if state == "active" then return { "invalid_state", state } end
if not (state == "waiting" and flowUnqueueParked(id)) then detach(id, state, q, f[6]) end
deleteJob(id, { f[3], f[4], f[5] })
rcall("HINCRBY", BASE .. "counts", state .. ":" .. q, -1)
return { "ok" }
