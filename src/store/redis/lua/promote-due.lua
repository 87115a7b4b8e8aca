--[[
  promote-due: move delayed jobs whose time has come to waiting.
  KEYS[1]  <base>delayed
  ARGV[1]  key base "{<prefix>}:"
  ARGV[2]  now (epoch ms)
  ARGV[3]  most jobs to move
  Reply: {number moved, as a string}
]]
return { tostring(promoteDue(tonumber(ARGV[2]), tonumber(ARGV[3]))) }
