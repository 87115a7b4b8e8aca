--[[
  enqueue-stage: one slice of a bulk enqueue too big for one script, stored
  out of sight: plain jobs get their number and a hash without a state (so
  nothing lists, counts or claims them); jobs that may deduplicate (explicit
  id or unique key) are only recorded, and decided at publish. Nothing is
  visible until enqueue-publish.lua, and a stage that is never published is
  deleted (enqueue-abort.lua, or rescue-expired.lua after its deadline).
  Without allow-oom: on a Redis out of memory the slice is refused before it
  writes anything, and the caller aborts the whole stage.
  KEYS[1]  <base>stage:<token>   list: staged job ids, or "\0" .. JSON of a deferred job's fields
  ARGV[1]  key base
  ARGV[2]  now (epoch ms), the whole batch's createdAt
  ARGV[3]  id step, ARGV[4] id offset (as in enqueue.lua)
  ARGV[5]  token
  ARGV[6]  deadline (epoch ms): past it, an unpublished stage is deleted
  ARGV[7..] 11 fields per job, as in enqueue.lua
  A job may come numbered by the caller (an id with explicit "0", see enqueue.lua).
  Reply: per job, in order: its id, or "" when it is decided at publish.
]]
local ctx = enqueueContext(ARGV[2], ARGV[3], ARGV[4])
rcall("ZADD", BASE .. "staging", ARGV[6], ARGV[5])
local plainCount = 0
for i = 7, #ARGV, 11 do
  if ARGV[i] == "" and ARGV[i + 8] == "" then plainCount = plainCount + 1 end
end
local n = rcall("INCRBY", BASE .. "jobid", plainCount) - plainCount
local reply, entries = {}, {}
for i = 7, #ARGV, 11 do
  if ARGV[i + 1] == "1" or ARGV[i + 8] ~= "" then
    entries[#entries + 1] = "\0" .. cjson.encode({ unpack(ARGV, i, i + 10) })
    reply[#reply + 1] = ""
  else
    local id = ARGV[i]
    if id == "" then n = n + 1; id = numberedId(ctx, n) end
    writeJob(ctx, id, nil, ARGV[i + 2], ARGV[i + 3], ARGV[i + 4], ARGV[i + 5], ARGV[i + 6], ARGV[i + 7], "", "", nil, ARGV[i + 10])
    entries[#entries + 1] = id
    reply[#reply + 1] = id
  end
end
callMany("RPUSH", KEYS[1], entries)
return reply
