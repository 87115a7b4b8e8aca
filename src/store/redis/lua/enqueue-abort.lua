--[[
  enqueue-abort: delete a staged bulk enqueue that will not be published
  (a slice was refused). With allow-oom: it frees memory.
  KEYS[1]  <base>stage:<token>
  ARGV[1]  key base
  ARGV[2]  token
  Reply: "ok"
]]
while not dropStaged(ARGV[2], 10000) do end
return "ok"
