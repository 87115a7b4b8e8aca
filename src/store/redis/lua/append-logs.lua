--[[
  append-logs: add a running job's ctx.log lines if the lease token still
  matches, keeping the last `keep` lines. The field holds one JSON object
  per line, joined by "\n" (JSON text never holds a raw newline), so lines
  are counted and dropped without decoding them.
  KEYS[1]  <base>j:<id>
  ARGV[1]  key base (unused; kept for the shared convention)
  ARGV[2]  lease token
  ARGV[3]  the new lines, JSON objects joined by "\n"
  ARGV[4]  keep: most lines kept
  Reply: "ok" | "not_held"
]]
local f = rcall("HMGET", KEYS[1], "s", "k", "l")
if f[1] ~= "active" or f[2] ~= ARGV[2] then return "not_held" end
local all = ARGV[3]
if f[3] then all = f[3] .. "\n" .. ARGV[3] end
local starts = { 1 }
for pos in string.gmatch(all, "()\n") do starts[#starts + 1] = pos + 1 end
local keep = tonumber(ARGV[4])
if #starts > keep then all = string.sub(all, starts[#starts - keep + 1]) end
rcall("HSET", KEYS[1], "l", all)
return "ok"
