--[[
  remove-job: delete a job that is not active, from every structure.
  KEYS[1]  <base>job:<id>
  ARGV[1]  key base "{<prefix>}:"
  ARGV[2]  job id
  Reply: {"ok"} | {"not_found"} | {"invalid_state", state}
]]
local id = ARGV[2]
local f = rcall("HMGET", KEYS[1], "state", "queue", "createdAt", "name", "uniqueKey")
local state, q = f[1], f[2]
if not state then return { "not_found" } end
if state == "active" then return { "invalid_state", state } end
detach(id, state, q)
rcall("ZREM", BASE .. "idx", indexMember(f[3], id))
freeUnique(id, f[4], f[5])
rcall("DEL", KEYS[1])
rcall("HINCRBY", BASE .. "counts", state .. ":" .. q, -1)
return { "ok" }
