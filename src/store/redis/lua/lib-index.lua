--[[
  The listing index, part of the shared helpers (see lib.lua).

  Every job has a key (createdAt, id in shortlex order), and listings page
  through keys newest first. The ids live in buckets <base>ix:<n>: short
  lists of at most BUCKET_MAX ids in key order, which Redis keeps as
  compact listpacks (about 6 bytes a job, where one big zset of keys costs
  130). A batch of new jobs, the usual case, has the highest keys and only
  appends. The directory <base>ixd (a lex zset, all scores 0) has one
  member per bucket, "<dir key>|<n>", where the dir key
  "<createdAt, 16 digits><char #id><id>" is the lowest key the bucket may
  hold; the bucket that holds a key is the directory's floor of that key.
  An entry's createdAt is read from its job hash (field c) when needed.

  Keys are compared here, not with Lua's `<` on strings, which follows the
  server's locale (Redis sets LC_COLLATE), not byte order.
]]
-- Entries per bucket: well within a listpack node, and the most a rare out-of-order insert scans.
local BUCKET_MAX = 128

-- Shortlex: shorter first, then byte by byte.
local function idLess(a, b)
  if #a ~= #b then return #a < #b end
  if a == b then return false end
  for i = 1, #a do
    local x, y = string.byte(a, i), string.byte(b, i)
    if x ~= y then return x < y end
  end
  return false
end

-- Key order: (createdAt, id shortlex). Keys are {createdAt number, id}.
local function keyLess(a, b)
  if a[1] ~= b[1] then return a[1] < b[1] end
  return idLess(a[2], b[2])
end

-- The key of an indexed job (its hash is there: deleting a job removes its entry first).
local function keyOf(id) return { tonumber(rcall("HGET", jobKey(id), "c")), id } end

local function dirKey(k)
  local c = int(k[1])
  return string.rep("0", 16 - #c) .. c .. string.char(#k[2]) .. k[2]
end
-- A directory member "<dir key>|<n>" as {key, bucket key}.
local function parseDir(m)
  local len = string.byte(m, 17)
  return { tonumber(string.sub(m, 1, 16)), string.sub(m, 18, 17 + len) }, BASE .. "ix:" .. string.sub(m, 19 + len)
end
-- The directory member of the bucket that holds key k (its floor), or nil when k is below every bucket.
local function ixFloor(k)
  return rcall("ZREVRANGEBYLEX", BASE .. "ixd", "[" .. dirKey(k) .. "}", "-", "LIMIT", 0, 1)[1]
end
local function ixNewBucket(k)
  local n = rcall("INCR", BASE .. "ixn")
  rcall("ZADD", BASE .. "ixd", 0, dirKey(k) .. "|" .. n)
  return BASE .. "ix:" .. n
end
-- Moves the upper half of a full bucket into a new one.
local function ixSplit(bk)
  local upper = rcall("LRANGE", bk, BUCKET_MAX / 2, -1)
  callMany("RPUSH", ixNewBucket(keyOf(upper[1])), upper)
  rcall("LTRIM", bk, 0, BUCKET_MAX / 2 - 1)
end
-- Puts k in its place inside a bucket that has room (k is below the bucket's top).
local function ixInsert(bk, k)
  for _, id in ipairs(rcall("LRANGE", bk, 0, -1)) do
    if keyLess(k, keyOf(id)) then
      rcall("LINSERT", bk, "BEFORE", id, k[2])
      return
    end
  end
  rcall("RPUSH", bk, k[2])
end

-- Adds keys {createdAt number, id} to the index; `sorted` says they come in
-- key order already (a batch of numbered jobs does). Keys above a bucket's
-- top are appended, one RPUSH per bucket, comparing keys only at bucket
-- edges; others are inserted in place.
local function ixAdd(keys, sorted)
  if #keys == 0 then return end
  if not sorted then table.sort(keys, keyLess) end
  local dir = BASE .. "ixd"
  local i, cur = 1, nil
  local batch = {}
  local function flush()
    if cur and #batch > 0 then callMany("RPUSH", cur.bk, batch) end
    batch = {}
  end
  while i <= #keys do
    local k = keys[i]
    local fits = cur and (not cur.upper or keyLess(k, cur.upper))
    -- Keys come in order: once one of ours is the bucket's top, each next one is above it too.
    local above = fits and (cur.ours or not cur.max or not keyLess(k, cur.max))
    if fits and above and cur.count < BUCKET_MAX then
      batch[#batch + 1] = k[2]
      cur.count, cur.max, cur.ours = cur.count + 1, k, true
      i = i + 1
    elseif fits and above and not cur.upper then
      -- The newest bucket is full and k comes after all of it: open the next bucket.
      flush()
      cur = { bk = ixNewBucket(k), count = 0 }
    elseif fits and cur.count < BUCKET_MAX then
      flush()
      ixInsert(cur.bk, k)
      cur.count = cur.count + 1
      i = i + 1
    elseif fits then
      flush()
      ixSplit(cur.bk)
      cur = nil
    else
      flush()
      local fm = ixFloor(k)
      if not fm then
        -- Below every bucket: the lowest bucket takes it (its floor moves down), or a first bucket is made.
        fm = rcall("ZRANGEBYLEX", dir, "-", "+", "LIMIT", 0, 1)[1]
        if fm then
          rcall("ZREM", dir, fm)
          local _, bk = parseDir(fm)
          fm = dirKey(k) .. "|" .. string.sub(bk, #BASE + 4)
          rcall("ZADD", dir, 0, fm)
        else
          ixNewBucket(k)
          fm = ixFloor(k)
        end
      end
      local _, bk = parseDir(fm)
      local nextM = rcall("ZRANGEBYLEX", dir, "(" .. fm, "+", "LIMIT", 0, 1)[1]
      local top = rcall("LINDEX", bk, -1)
      cur = { bk = bk, count = rcall("LLEN", bk), upper = nextM and (parseDir(nextM)) or nil }
      if top then cur.max = keyOf(top) end
    end
  end
  flush()
end

-- Removes a job's key from the index (createdAt as text or number).
local function ixRemove(createdAt, id)
  local fm = ixFloor({ tonumber(createdAt), id })
  if not fm then return end
  local _, bk = parseDir(fm)
  rcall("LREM", bk, 1, id)
  if rcall("EXISTS", bk) == 0 then rcall("ZREM", BASE .. "ixd", fm) end
end
