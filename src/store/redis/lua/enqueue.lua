--[[
  enqueue: store a batch of new jobs, all in one step. A job whose id exists,
  or whose unique key is held by a live job, is deduplicated onto that job;
  later jobs in the batch see earlier ones. Bigger batches go through
  enqueue-stage.lua and enqueue-publish.lua instead.
  KEYS[1]  <base>jobid
  ARGV[1]  key base "{<prefix>}:" or "{<prefix>:<tag>}:"
  ARGV[2]  now (epoch ms)
  ARGV[3]  id step, ARGV[4] id offset: job number n gets id n * step + offset
  ARGV[5..] 11 fields per job:
           id ("" = number it here), explicit ("1": the caller chose the id;
           "0" with an id: numbered by the caller from the home slot's counter,
           as with queue tags, where one counter for all slots keeps ids in enqueue order),
           name, queue, data (JSON, "" = undefined), priority, maxAttempts,
           runAt, unique ("" = none, else "k" .. key), uniqueTtlMs, flow (JSON, "" = none; lib-flow.lua)
  Reply: flat pairs per job, in batch order: id, "1" if deduplicated onto an existing job else "0".
]]
local ctx = enqueueContext(ARGV[2], ARGV[3], ARGV[4])
local count = (#ARGV - 4) / 11
local seq = rcall("INCRBY", BASE .. "seq", count) - count
-- A batch that cannot deduplicate takes its numbers in one step; otherwise each stored job takes the next.
local plain = true
for i = 5, #ARGV, 11 do
  if ARGV[i] ~= "" or ARGV[i + 8] ~= "" then plain = false; break end
end
local n = nil
if plain then n = rcall("INCRBY", KEYS[1], count) - count end
local reply = {}
for i = 5, #ARGV, 11 do
  seq = seq + 1
  if n then n = n + 1 end
  local id, dup = enqueueOne(ctx, { unpack(ARGV, i, i + 10) }, seq, n)
  reply[#reply + 1] = id
  reply[#reply + 1] = dup
end
enqueueFlush(ctx)
return reply
