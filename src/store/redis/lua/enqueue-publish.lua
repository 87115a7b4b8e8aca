--[[
  enqueue-publish: make a staged bulk enqueue visible, all at once: staged
  jobs get their state and place in line (in batch order), deferred ones
  are deduplicated or stored, then the index, counts and wake-up markers.
  With allow-oom: the staged jobs already hold their memory, so the commit
  never fails half-way for lack of it.
  KEYS[1]  <base>stage:<token>
  ARGV[1]  key base
  ARGV[2]  now (epoch ms), the same as at staging
  ARGV[3]  id step, ARGV[4] id offset
  ARGV[5]  token
  Reply: {"ok", id, dedup, id, dedup, ...} for the deferred jobs in batch order,
         or {"gone"} when the stage was deleted (its deadline passed).
]]
if rcall("ZSCORE", BASE .. "staging", ARGV[5]) == false then return { "gone" } end
local ctx = enqueueContext(ARGV[2], ARGV[3], ARGV[4])
local total = rcall("LLEN", KEYS[1])
local seq = rcall("INCRBY", BASE .. "seq", total) - total
local reply = { "ok" }
for from = 0, total - 1, 1000 do
  for _, e in ipairs(rcall("LRANGE", KEYS[1], from, from + 999)) do
    seq = seq + 1
    if string.byte(e, 1) == 0 then
      -- Numbered now, after staged jobs that come later in the batch: the index keys need sorting.
      ctx.sorted = false
      local id, dup = enqueueOne(ctx, cjson.decode(string.sub(e, 2)), seq, nil)
      reply[#reply + 1] = id
      reply[#reply + 1] = dup
    else
      local jk = jobKey(e)
      local f = rcall("HMGET", jk, "q", "p", "r", "fl")
      local group = flowGroup(f[4])
      if group then rcall("HSET", jk, "i", seq) end
      local state = placeNew(ctx, e, f[1], f[2] or "0", tonumber(f[3] or ctx.nowText), seq, group)
      if state == "waiting" and not group then rcall("HSET", jk, "s", state, "i", seq) else rcall("HSET", jk, "s", state) end
    end
  end
end
rcall("DEL", KEYS[1])
rcall("ZREM", BASE .. "staging", ARGV[5])
enqueueFlush(ctx)
return reply
