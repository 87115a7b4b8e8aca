--[[
  heartbeat: record a live worker. A script only for its allow-oom flag: a
  full Redis must not make a live worker look dead (its jobs would be
  rescued while they run).
  KEYS[1]  <base>workers   hash: worker id -> "<expiresAt>|<WorkerInfo JSON>"
  ARGV[1]  key base (unused; kept for the shared convention)
  ARGV[2]  worker id
  ARGV[3]  "<expiresAt>|<WorkerInfo JSON>"
  Reply: "ok"
]]
rcall("HSET", KEYS[1], ARGV[2], ARGV[3])
return "ok"
