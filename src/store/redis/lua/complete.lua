--[[
  complete: finish jobs the worker still holds, storing their results.
  References to leases the worker lost are ignored.
  With allow-oom: a job that ran gets its outcome written even when Redis
  is full (it frees the lease and the claim's memory in exchange).
  KEYS[1]  <base>active
  ARGV[1]  key base
  ARGV[2]  now (epoch ms)
  ARGV[3]  worker id
  ARGV[4..] triples: job id, lease token, result (JSON; "" = undefined)
  Reply: {number of jobs completed, as a string}
]]
local done = completeHeld(ARGV[3], ARGV[2], ARGV, 4)
flowFlush(tonumber(ARGV[2]))
return { tostring(done) }
