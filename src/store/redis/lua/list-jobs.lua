--[[
  list-jobs: one page of jobs, newest first by (createdAt, id in shortlex order), optionally
  filtered by state, queue and name. Filters are checked while walking the
  index, and at most `budget` entries are examined per call: a sparse
  filter over a huge history returns a short page with a cursor to go on.
  KEYS[1]  <base>idx
  ARGV[1]  key base "{<prefix>}:"
  ARGV[2]  index member to start after ("" = from the newest)
  ARGV[3]  page size
  ARGV[4]  budget: most index entries to examine
  ARGV[5]  state filter ("" = any)
  ARGV[6]  queue filter ("" = any)
  ARGV[7]  name filter ("" = any)
  Reply: {{{id, {field, value, ...}}, ...}, index member to continue after ("" = no more)}
]]
local limit, budget = tonumber(ARGV[3]), tonumber(ARGV[4])
local state, queue, name = ARGV[5], ARGV[6], ARGV[7]
local filtered = state ~= "" or queue ~= "" or name ~= ""
local from = "+"
if ARGV[2] ~= "" then from = "(" .. ARGV[2] end
local page, pageLast, lastSeen = {}, nil, nil
local scanned, more, exhausted = 0, false, false
while not more and not exhausted do
  local step = math.min(budget - scanned, limit + 1)
  if step <= 0 then break end
  local members = rcall("ZREVRANGEBYLEX", KEYS[1], from, "-", "LIMIT", 0, step)
  if #members < step then exhausted = true end
  for _, m in ipairs(members) do
    scanned = scanned + 1
    lastSeen = m
    local id = string.sub(m, 22)
    local jk = jobKey(id)
    local match = true
    if filtered then
      local f = rcall("HMGET", jk, "state", "queue", "name")
      match = f[1] and (state == "" or f[1] == state) and (queue == "" or f[2] == queue) and (name == "" or f[3] == name)
    end
    if match then
      if #page == limit then
        more = true
        break
      end
      page[#page + 1] = { id, rcall("HGETALL", jk) }
      pageLast = m
    end
  end
  if lastSeen then from = "(" .. lastSeen end
end
local cursor = ""
if more then cursor = pageLast
elseif not exhausted and lastSeen then cursor = lastSeen end
return { page, cursor }
