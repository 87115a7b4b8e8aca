--[[
  list-jobs: one page of jobs, newest first by (createdAt, id in shortlex
  order), optionally filtered by state, queue and name, walking the listing
  index (lib.lua) from the cursor down. Filters are checked while walking,
  and at most `budget` entries are examined per call: a sparse filter over
  a huge history returns a short page with a cursor to go on. Staged bulk
  jobs (no state yet) are skipped.
  KEYS[1]  <base>ixd
  ARGV[1]  key base
  ARGV[2]  createdAt of the key to start after ("" = from the newest)
  ARGV[3]  id of the key to start after
  ARGV[4]  page size
  ARGV[5]  budget: most index entries to examine
  ARGV[6]  state filter ("" = any)
  ARGV[7]  queue filter ("" = any)
  ARGV[8]  name filter ("" = any)
  Reply: {{{id, {field, value, ...}}, ...}, createdAt, id} where (createdAt, id)
         is the key to continue after ("", "" = no more).
]]
local limit, budget = tonumber(ARGV[4]), tonumber(ARGV[5])
local state, queue, name = ARGV[6], ARGV[7], ARGV[8]
local from = nil
if ARGV[2] ~= "" then from = { tonumber(ARGV[2]), ARGV[3] } end
local fm
if from then fm = ixFloor(from) else fm = rcall("ZREVRANGEBYLEX", KEYS[1], "+", "-", "LIMIT", 0, 1)[1] end
local page, pageLast, lastSeen = {}, nil, nil
local scanned, more, outOfBudget = 0, false, false
while fm and not more and not outOfBudget do
  local _, bk = parseDir(fm)
  local ids = rcall("LRANGE", bk, 0, -1)
  for j = #ids, 1, -1 do
    local jk = jobKey(ids[j])
    local f = rcall("HMGET", jk, "c", "s", "q", "n")
    local k = { tonumber(f[1]), ids[j] }
    if not from or keyLess(k, from) then
      if scanned >= budget then outOfBudget = true; break end
      scanned = scanned + 1
      lastSeen = k
      if f[2] and (state == "" or f[2] == state) and (queue == "" or f[3] == queue) and (name == "" or f[4] == name) then
        if #page == limit then more = true; break end
        page[#page + 1] = { k[2], rcall("HGETALL", jk) }
        pageLast = k
      end
    end
  end
  if not more and not outOfBudget then fm = rcall("ZREVRANGEBYLEX", KEYS[1], "(" .. fm, "-", "LIMIT", 0, 1)[1] end
end
local cursor = nil
if more then cursor = pageLast elseif outOfBudget then cursor = lastSeen end
if not cursor then return { page, "", "" } end
return { page, int(cursor[1]), cursor[2] }
