--[[
  leader-acquire: take the named lease, or renew it for its holder. A new
  term (first holder, takeover after expiry) gets the next fencing token.
  KEYS[1]  <base>leader:<name>   hash: holder, token, until, last (token counter, never deleted)
  ARGV[1]  key base "{<prefix>}:" (unused; kept for the shared convention)
  ARGV[2]  now (epoch ms)
  ARGV[3]  holder
  ARGV[4]  ttl, ms
  Reply: {"ok", holder, token, until} | {"held"}
]]
local now, holder = tonumber(ARGV[2]), ARGV[3]
local f = rcall("HMGET", KEYS[1], "holder", "token", "until")
local live = f[1] and tonumber(f[3]) > now
if live and f[1] ~= holder then return { "held" } end
local token = f[2]
if not live then token = tostring(rcall("HINCRBY", KEYS[1], "last", 1)) end
local untilMs = string.format("%.0f", now + tonumber(ARGV[4]))
rcall("HSET", KEYS[1], "holder", holder, "token", token, "until", untilMs)
return { "ok", holder, token, untilMs }
