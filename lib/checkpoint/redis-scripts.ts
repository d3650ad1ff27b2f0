/**
 * Lua scripts of the Redis store (lib/checkpoint/redis.ts). Each runs atomically on the server, so every
 * multi-key change (save, delete, prune, clear, thread updates, locks) is all-or-nothing and one round trip.
 *
 * Key layout (P = prefix, T = thread id, C = checkpoint id; ids are validated by ids.ts before use):
 *   P checkpoint:C                 hash  t (thread), p (parent id or ""), v (version), b (JSON of the immutable
 *                                        fields but state and metadata), m (metadata JSON), d (delta label, see
 *                                        delta-format.ts), then either x (the full state JSON: a snapshot) or
 *                                        a (base checkpoint id) and o (ops text against it: a delta row); w (JSON
 *                                        of pendingWrites, the only mutable part), s (JSON of the summary minus
 *                                        id/threadId/parentId/version, written by save so listSummaries never
 *                                        reads b; absent on checkpoints saved before it). A hash without d was
 *                                        written before the delta layout: its b holds every immutable field,
 *                                        state and metadata included, and it is a snapshot labelled 0. Since
 *                                        issue 12 also n (the namespace, only when not the root "": such a
 *                                        checkpoint is never the thread's head or latest) and f (JSON of the
 *                                        metadata's scalar top-level entries, what list's metadata filter
 *                                        reads; absent on older hashes, whose m is read instead).
 *   P execution:T:checkpoints      zset  C scored by version (the seed's per-execution index)
 *   P execution:T:thread           hash  createdAt, updatedAt, status, graphId (absent = null), head (absent =
 *                                        null), headVersion, count, error (JSON), metadata (JSON), seq (version
 *                                        counter), rev (bumped by delete/prune), exp (shared expiry, ms)
 *   P execution:T:lock             string owner, with PX expiry
 *   P threads                      zset  T scored by updatedAt ms; read newest first with ZREVRANGEBYSCORE, so
 *                                        ties come by threadId descending, as in the memory store
 *   P threads:status:S / P threads:graph:G   the same, per status / per graph id, for filtered listings
 * Keys of one thread cannot collide with another thread's: each ends in a fixed suffix after the id.
 *
 * A delta row's base is an older checkpoint of the same thread, so it shares the thread's TTL deadline (every key
 * of a thread has the same one, see touch) and never expires before the rows that depend on it.
 *
 * Scripts build key names from the prefix (numberOfKeys 0): fine on a single Redis, not on Redis Cluster
 * (which a thread listing spanning every thread could not use in one script anyway).
 */

/** Most hashes one chain walk reads (a rebuild needs at most GRID - 1 + log2(label / GRID) + 1, see delta.ts). */
export const MAX_HOPS = 64;

/** Shared Lua helpers, prepended to the scripts that need them. */
const HELPERS = `
local function ckey(P, id) return P .. 'checkpoint:' .. id end
local function tkeys(P, T)
  local base = P .. 'execution:' .. T .. ':'
  return base .. 'thread', base .. 'checkpoints', base .. 'lock'
end
-- Marks a tree change for prune's compare-and-apply (never creates a record that vanished: it would lack a TTL).
local function bumpRev(tkey)
  if redis.call('EXISTS', tkey) == 1 then redis.call('HINCRBY', tkey, 'rev', 1) end
end
-- The newest root-namespace checkpoint of index ikey (a hash without n) and its version, or nil: the head.
-- Walks down past subgraph checkpoints and entries whose hash is gone, newest first.
local function rootTop(P, ikey)
  local i = 0
  while true do
    local top = redis.call('ZREVRANGE', ikey, i, i, 'WITHSCORES')
    if not top[1] then return nil end
    local f = redis.call('HMGET', ckey(P, top[1]), 'v', 'n')
    if f[1] and not f[2] then return top[1], top[2] end
    i = i + 1
  end
end
-- Recomputes head/headVersion/count from the index (after deletions or lazily dropped entries).
local function refreshHead(P, tkey, ikey)
  if redis.call('EXISTS', tkey) == 0 then return end
  local id, v = rootTop(P, ikey)
  if id then
    redis.call('HSET', tkey, 'head', id, 'headVersion', v, 'count', redis.call('ZCARD', ikey))
  else
    redis.call('HDEL', tkey, 'head')
    redis.call('HSET', tkey, 'headVersion', 0, 'count', redis.call('ZCARD', ikey))
  end
end
-- TTL: every key of a thread shares one deadline (exp), so the index can never outlive its checkpoints.
-- The deadline is pushed to now + ttl + ttl/10 only when it is closer than now + ttl: a thread lives between
-- ttl and 1.1 x ttl after its last write, and the O(checkpoints) refresh runs at most once per ttl/10
-- (amortised O(1) per save). Returns the deadline, or nil when the store has no TTL.
local function touch(P, tkey, ikey, ttl)
  if ttl <= 0 then return nil end
  local t = redis.call('TIME')
  local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
  local exp = tonumber(redis.call('HGET', tkey, 'exp') or '0')
  if exp < now + ttl then
    exp = now + ttl + math.floor(ttl / 10)
    local e = string.format('%d', exp)
    redis.call('HSET', tkey, 'exp', e)
    local ids = redis.call('ZRANGE', ikey, 0, -1)
    for i = 1, #ids do redis.call('PEXPIREAT', ckey(P, ids[i]), e) end
  end
  local e = string.format('%d', exp)
  redis.call('PEXPIREAT', tkey, e)
  if redis.call('EXISTS', ikey) == 1 then redis.call('PEXPIREAT', ikey, e) end
  return e
end
-- Puts thread T into the global listing sets at score nowMs, leaving the old status / graph sets.
local function indexThread(P, T, score, oldStatus, oldGraph, status, graph)
  if oldStatus and oldStatus ~= status then redis.call('ZREM', P .. 'threads:status:' .. oldStatus, T) end
  if oldGraph and oldGraph ~= graph then redis.call('ZREM', P .. 'threads:graph:' .. oldGraph, T) end
  redis.call('ZADD', P .. 'threads', score, T)
  redis.call('ZADD', P .. 'threads:status:' .. status, score, T)
  if graph then redis.call('ZADD', P .. 'threads:graph:' .. graph, score, T) end
end
-- Delta chains. Appends to out, 7 entries per checkpoint hash: id, d, a, o, m, x, b (false when absent). b is
-- sent only for a hash without d (written before the delta layout: its b holds the full state, so it is a
-- snapshot) and, with withBody, for the first one. Follows base ids from id until a snapshot, a hash already
-- sent (in seen), a missing hash, or MAX_HOPS hashes; the caller's codec reports a chain that ends without
-- a snapshot as CORRUPT_CHECKPOINT.
local MAX_HOPS = ${MAX_HOPS}
local function walk(P, id, seen, out, withBody)
  local hops = 0
  while id and not seen[id] and hops < MAX_HOPS do
    seen[id] = true
    hops = hops + 1
    local k = ckey(P, id)
    local f = redis.call('HMGET', k, 'v', 'd', 'a', 'o', 'm', 'x')
    if not f[1] then return end
    local old = not f[2]
    local body = false
    if old or withBody then body = redis.call('HGET', k, 'b') or false end
    withBody = false
    out[#out + 1] = id; out[#out + 1] = f[2]; out[#out + 1] = f[3]; out[#out + 1] = f[4]
    out[#out + 1] = f[5]; out[#out + 1] = f[6]; out[#out + 1] = body
    if old or (f[6] and f[6] ~= '') then return end
    id = f[3]
  end
end
`;

/** The thread record fields, in the order scripts return them (see `toThreadInfo`). */
export const THREAD_FIELDS = ["createdAt", "updatedAt", "status", "graphId", "head", "headVersion", "count", "error", "metadata"] as const;
const THREAD_HMGET = THREAD_FIELDS.map((f) => `'${f}'`).join(", ");

/**
 * save. ARGV: P, T, C, parent ("" = none), head JSON (b), writes JSON, nowMs, nowIso, ttlMs (0 = none), summary
 * JSON, metadata JSON, depth, then state JSON (a snapshot) or "" with base id and ops (a delta row), then
 * SaveOptions: flag/value pairs for graphId, status, error, metadata as updateThread takes them (ARGV 16-23),
 * and the lock owner to release ("" = none, ARGV 24), the namespace ("" = root, ARGV 25) and the JSON of the
 * metadata's scalar top-level entries (f, ARGV 26), and the fence's lock owner (SaveOptions.lockOwner, "" =
 * none, ARGV 27): the save is refused ('fenced', the holder or "") unless the lock key names it.
 * Returns {1, version} or {0, reason, detail}; on a refusal nothing was written. A delta row whose base is no
 * longer in the thread (deleted or pruned since the codec saw it) is refused with 'no-base': the caller saves
 * it again as a snapshot.
 */
const SAVE = `${HELPERS}
local P, T, C, parent = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local state, base, ops = ARGV[13], ARGV[14], ARGV[15]
local ck = ckey(P, C)
local tkey, ikey = tkeys(P, T)
if redis.call('EXISTS', ck) == 1 then return {0, 'exists', redis.call('HGET', ck, 't') or ''} end
if ARGV[27] ~= '' then
  local _, _, lkey = tkeys(P, T)
  local holder = redis.call('GET', lkey)
  if holder ~= ARGV[27] then return {0, 'fenced', holder or ''} end
end
if parent ~= '' then
  local pt = redis.call('HGET', ckey(P, parent), 't')
  if not pt then return {0, 'no-parent', ''} end
  if pt ~= T then return {0, 'parent-thread', pt} end
end
if state == '' and redis.call('HGET', ckey(P, base), 't') ~= T then return {0, 'no-base', base} end
local v = redis.call('HINCRBY', tkey, 'seq', 1)
if state ~= '' then
  redis.call('HSET', ck, 't', T, 'p', parent, 'v', v, 'b', ARGV[5], 'w', ARGV[6], 's', ARGV[10], 'm', ARGV[11], 'd', ARGV[12], 'x', state)
else
  redis.call('HSET', ck, 't', T, 'p', parent, 'v', v, 'b', ARGV[5], 'w', ARGV[6], 's', ARGV[10], 'm', ARGV[11], 'd', ARGV[12], 'a', base, 'o', ops)
end
redis.call('HSET', ck, 'f', ARGV[26])
if ARGV[25] ~= '' then redis.call('HSET', ck, 'n', ARGV[25]) end
redis.call('ZADD', ikey, v, C)
if redis.call('HSETNX', tkey, 'createdAt', ARGV[8]) == 1 then
  redis.call('HSET', tkey, 'status', 'idle', 'metadata', '{}', 'error', 'null', 'headVersion', 0)
end
local old = redis.call('HMGET', tkey, 'status', 'graphId')
if ARGV[16] == '1' then redis.call('HSET', tkey, 'graphId', ARGV[17]) elseif ARGV[16] == '-' then redis.call('HDEL', tkey, 'graphId') end
if ARGV[18] == '1' then redis.call('HSET', tkey, 'status', ARGV[19]) end
if ARGV[20] == '1' then redis.call('HSET', tkey, 'error', ARGV[21]) end
if ARGV[22] == '1' then redis.call('HSET', tkey, 'metadata', ARGV[23]) end
-- A new root checkpoint always has the highest version, so it is the head; a subgraph one never is.
if ARGV[25] == '' then redis.call('HSET', tkey, 'head', C, 'headVersion', v) end
redis.call('HSET', tkey, 'count', redis.call('ZCARD', ikey), 'updatedAt', ARGV[8])
local f = redis.call('HMGET', tkey, 'status', 'graphId')
indexThread(P, T, tonumber(ARGV[7]), old[1], old[2], f[1], f[2])
local e = touch(P, tkey, ikey, tonumber(ARGV[9]))
if e then redis.call('PEXPIREAT', ck, e) end
if ARGV[24] ~= '' then
  local _, _, lkey = tkeys(P, T)
  if redis.call('GET', lkey) == ARGV[24] then redis.call('DEL', lkey) end
end
return {1, v}
`;

/**
 * load / latest. ARGV: P, mode ("c": ARGV[3] is a checkpoint id; "t": ARGV[3] is a thread id, whose newest
 * ROOT-namespace checkpoint is read), id. Returns {} when there is none, else {parent, version, writes, chain...}: the
 * checkpoint's chain as `walk` lists it (the checkpoint first, with its body), so a load is one round trip.
 * Like list, latest drops index entries whose hash is gone on the way.
 */
const LOAD_FN = `
local function load(P, mode, X)
local C = X
if mode == 't' then
  C = nil
  local tkey, ikey = tkeys(P, X)
  local dropped, i = false, 0
  while true do
    local top = redis.call('ZREVRANGE', ikey, i, i)
    if not top[1] then break end
    local f = redis.call('HMGET', ckey(P, top[1]), 'v', 'n')
    if not f[1] then redis.call('ZREM', ikey, top[1]); dropped = true
    elseif f[2] then i = i + 1 -- a subgraph checkpoint: never latest
    else C = top[1]; break end
  end
  if dropped then refreshHead(P, tkey, ikey) end
  if not C then return {} end
end
local f = redis.call('HMGET', ckey(P, C), 'p', 'v', 'w')
if not f[2] then return {} end
local out = {f[1] or '', f[2], f[3] or '[]'}
walk(P, C, {}, out, true)
return out
end
`;
const LOAD = `${HELPERS}${LOAD_FN}
return load(ARGV[1], ARGV[2], ARGV[3])
`;

/** chains (delete/prune folds). ARGV: P, ids... Returns the chains of every id as `walk` lists them, each hash once. */
const CHAINS = `${HELPERS}
local P = ARGV[1]
local seen, out = {}, {}
for i = 2, #ARGV do walk(P, ARGV[i], seen, out, false) end
return out
`;

/**
 * list. ARGV: P, T, min, max (ZRANGEBYSCORE bounds), rev ("1" = newest first), limit (0 = all), summaries
 * ("1" = listSummaries), then the filter (ListOptions): "1" and a namespace, or "0" and "" for any, and the
 * metadata filter's JSON ("" = none), matched on each hash's f (or m when it has none) before the limit
 * counts it; no state or body is read for a checkpoint that does not match. For list, returns {page, chains}: page is a flat list of id, p, v, w, d, a, o, m, x, b
 * per checkpoint, chains lists (as `walk` does) the chains of the bases outside the page, so a page is
 * rebuilt from one round trip. For summaries, a flat list of id, p, v, s, "", "" per checkpoint, or, for a
 * checkpoint saved before summaries existed, id, p, v, "", b, m, so no body is read when every checkpoint has
 * its summary. Index entries whose checkpoint key is gone (evicted, or removed by hand) are dropped on the
 * way and the page is refilled.
 */
const LIST = `${HELPERS}
local P, T, min, max, rev, limit = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5] == '1', tonumber(ARGV[6])
local summaries = ARGV[7] == '1'
local byNs, ns, want = ARGV[8] == '1', ARGV[9], nil
if ARGV[10] ~= '' then want = cjson.decode(ARGV[10]) end
-- Whether checkpoint key k passes the filter (numbers compare as numbers, never equal to strings).
local function keep(k)
  if not byNs and not want then return true end
  local g = redis.call('HMGET', k, 'n', 'f', 'v')
  if not g[3] then return true end -- gone: the caller drops it
  if byNs and (g[1] or '') ~= ns then return false end
  if not want then return true end
  local have = g[2]
  if not have then have = redis.call('HGET', k, 'm') or '{}' end
  local ok, md = pcall(cjson.decode, have)
  if not ok or type(md) ~= 'table' then return false end
  for key, value in pairs(want) do
    if md[key] ~= value then return false end
  end
  return true
end
local tkey, ikey = tkeys(P, T)
local out, n, offset, dropped = {}, 0, 0, 0
while true do
  local count = -1
  if limit > 0 then count = limit - n end
  local ids
  if rev then ids = redis.call('ZREVRANGEBYSCORE', ikey, max, min, 'LIMIT', offset, count)
  else ids = redis.call('ZRANGEBYSCORE', ikey, min, max, 'LIMIT', offset, count) end
  local missing, skipped = 0, 0
  for i = 1, #ids do
    local k = ckey(P, ids[i])
    -- 'v' exists exactly when the checkpoint does (save writes every field in one HSET).
    local f = {}
    if not keep(k) then skipped = skipped + 1
    elseif summaries then
      f = redis.call('HMGET', k, 'p', 'v', 's')
      if f[2] then
        if f[3] then f[4] = ''; f[5] = ''
        else f[3] = ''; f[4] = redis.call('HGET', k, 'b') or ''; f[5] = redis.call('HGET', k, 'm') end
      end
    else
      f = redis.call('HMGET', k, 'p', 'v', 'w', 'd', 'a', 'o', 'm', 'x', 'b')
    end
    if f[2] then
      out[#out + 1] = ids[i]
      for j = 1, #f do out[#out + 1] = f[j] end
      n = n + 1
    elseif #f > 0 then
      redis.call('ZREM', ikey, ids[i]); missing = missing + 1
    end
  end
  dropped = dropped + missing
  -- Removed entries shift the later ones down, so only the others (kept or filtered out) advance the offset.
  offset = offset + #ids - missing
  if (missing == 0 and skipped == 0) or #ids == 0 or (limit > 0 and n >= limit) then break end
end
if dropped > 0 then refreshHead(P, tkey, ikey) end
if summaries then return out end
local seen, chains = {}, {}
for i = 1, #out, 10 do seen[out[i]] = true end
for i = 1, #out, 10 do
  if out[i + 5] and not seen[out[i + 5]] then walk(P, out[i + 5], seen, chains, false) end
end
return {out, chains}
`;

/** putWrites. KEYS[1] = checkpoint key; ARGV: writes JSON. 1 if replaced, 0 if the checkpoint is unknown. */
const PUT_WRITES = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], 'w', ARGV[1])
return 1
`;

/**
 * appendWrites' compare-and-set. KEYS[1] = checkpoint key; ARGV: the `w` text the caller merged from ("" when the
 * hash had none), the merged text. 1 if written, 0 if the checkpoint is unknown, 2 if `w` changed meanwhile (the
 * caller reads again and re-merges). The merge itself runs in the client: cjson would not round-trip values
 * (an empty array comes back as {}, numbers lose digits), and JSON text must stay byte-exact.
 */
const CAS_WRITES = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
if (redis.call('HGET', KEYS[1], 'w') or '') ~= ARGV[1] then return 2 end
redis.call('HSET', KEYS[1], 'w', ARGV[2])
return 1
`;

/**
 * skeleton (for delete and prune). ARGV: P, T, C: the thread T, or ("" and) the thread of checkpoint C.
 * Returns {} if C is unknown, else {token, T, id, parent, version, base, ...}; token changes whenever a save,
 * delete or prune changes the thread's tree, so a plan computed from it can be applied only if unchanged.
 */
const SKELETON = `${HELPERS}
local P, T, C = ARGV[1], ARGV[2], ARGV[3]
if C ~= '' then
  T = redis.call('HGET', ckey(P, C), 't')
  if not T then return {} end
end
local tkey, ikey = tkeys(P, T)
local tok = redis.call('HMGET', tkey, 'seq', 'rev')
local out = {(tok[1] or '0') .. ':' .. (tok[2] or '0'), T}
local ids = redis.call('ZRANGE', ikey, 0, -1, 'WITHSCORES')
for i = 1, #ids, 2 do
  local f = redis.call('HMGET', ckey(P, ids[i]), 'p', 'a')
  if f[1] then out[#out + 1] = ids[i]; out[#out + 1] = f[1]; out[#out + 1] = ids[i + 1]; out[#out + 1] = f[2] or '' end
end
return out
`;

/**
 * apply a delete / prune plan. ARGV: P, T, token, nDelete, nFold, delete ids..., (fold id, state JSON) pairs,
 * then (id, new parent or "") pairs. Folds are survivors whose base is deleted: rewritten here as snapshots
 * (x set, a and o removed, label kept) in the same atomic step as the deletion, so every survivor stays
 * rebuildable. Returns the number deleted, or -1 (nothing changed) if the thread changed since the skeleton.
 */
const APPLY_PRUNE = `${HELPERS}
local P, T, token, nd, nf = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4]), tonumber(ARGV[5])
local tkey, ikey = tkeys(P, T)
local tok = redis.call('HMGET', tkey, 'seq', 'rev')
if (tok[1] or '0') .. ':' .. (tok[2] or '0') ~= token then return -1 end
local at = 6
for i = at, at + nd - 1 do
  redis.call('DEL', ckey(P, ARGV[i]))
  redis.call('ZREM', ikey, ARGV[i])
end
at = at + nd
for i = at, at + 2 * nf - 1, 2 do
  local k = ckey(P, ARGV[i])
  if redis.call('EXISTS', k) == 1 then
    redis.call('HSET', k, 'x', ARGV[i + 1])
    redis.call('HDEL', k, 'a', 'o')
  end
end
at = at + 2 * nf
for i = at, #ARGV, 2 do
  local k = ckey(P, ARGV[i])
  if redis.call('EXISTS', k) == 1 then redis.call('HSET', k, 'p', ARGV[i + 1]) end
end
bumpRev(tkey)
refreshHead(P, tkey, ikey)
return nd
`;

/**
 * storage. ARGV: P, T. Returns {0} when the thread has neither a record nor checkpoints, else {1, then id,
 * version, step, bytes, snapshot (1/0) per checkpoint}. bytes = the UTF-8 byte lengths of every field name and
 * value of the checkpoint's hash (HSTRLEN: no value leaves the server); step comes from the summary (or, for
 * a hash saved before summaries, its body). A snapshot is a hash with a full state (x, or a pre-delta hash).
 */
const STORAGE = `${HELPERS}
local P, T = ARGV[1], ARGV[2]
local tkey, ikey = tkeys(P, T)
if redis.call('EXISTS', tkey) == 0 and redis.call('EXISTS', ikey) == 0 then return {0} end
local out = {1}
local ids = redis.call('ZRANGE', ikey, 0, -1, 'WITHSCORES')
for i = 1, #ids, 2 do
  local k = ckey(P, ids[i])
  local names = redis.call('HKEYS', k)
  if #names > 0 then
    local bytes = 0
    for j = 1, #names do bytes = bytes + #names[j] + redis.call('HSTRLEN', k, names[j]) end
    local f = redis.call('HMGET', k, 'd', 's')
    local snap = 0
    if (not f[1]) or redis.call('HSTRLEN', k, 'x') > 0 then snap = 1 end
    local ok, obj = pcall(cjson.decode, f[2] or redis.call('HGET', k, 'b') or 'null')
    local step = 0
    if ok and type(obj) == 'table' and type(obj.step) == 'number' then step = obj.step end
    out[#out + 1] = ids[i]; out[#out + 1] = ids[i + 1]; out[#out + 1] = tostring(step)
    out[#out + 1] = bytes; out[#out + 1] = snap
  end
end
return out
`;

/** clear. ARGV: P, T. Deletes every key of the thread and its listing entries. */
const CLEAR = `${HELPERS}
local P, T = ARGV[1], ARGV[2]
local tkey, ikey, lkey = tkeys(P, T)
local ids = redis.call('ZRANGE', ikey, 0, -1)
local batch = {}
for i = 1, #ids do
  batch[#batch + 1] = ckey(P, ids[i])
  if #batch == 500 then redis.call('DEL', unpack(batch)); batch = {} end
end
if #batch > 0 then redis.call('DEL', unpack(batch)) end
local f = redis.call('HMGET', tkey, 'status', 'graphId')
redis.call('DEL', tkey, ikey, lkey)
redis.call('ZREM', P .. 'threads', T)
if f[1] then redis.call('ZREM', P .. 'threads:status:' .. f[1], T) end
if f[2] then redis.call('ZREM', P .. 'threads:graph:' .. f[2], T) end
return #ids
`;

/**
 * updateThread. ARGV: P, T, nowMs, nowIso, ttlMs, then flag/value pairs for graphId ("1" set, "0" keep,
 * "-" null), status, error JSON, metadata JSON (flag "1" set / "0" keep). Returns the record (THREAD_FIELDS).
 */
const UPDATE_THREAD = `${HELPERS}
local P, T = ARGV[1], ARGV[2]
local tkey, ikey = tkeys(P, T)
local old = redis.call('HMGET', tkey, 'createdAt', 'status', 'graphId')
if not old[1] then
  redis.call('HSET', tkey, 'createdAt', ARGV[4], 'status', 'idle', 'metadata', '{}', 'error', 'null', 'headVersion', 0, 'count', 0)
  old[2] = nil
end
if ARGV[6] == '1' then redis.call('HSET', tkey, 'graphId', ARGV[7]) elseif ARGV[6] == '-' then redis.call('HDEL', tkey, 'graphId') end
if ARGV[8] == '1' then redis.call('HSET', tkey, 'status', ARGV[9]) end
if ARGV[10] == '1' then redis.call('HSET', tkey, 'error', ARGV[11]) end
if ARGV[12] == '1' then redis.call('HSET', tkey, 'metadata', ARGV[13]) end
redis.call('HSET', tkey, 'updatedAt', ARGV[4])
local f = redis.call('HMGET', tkey, 'status', 'graphId')
indexThread(P, T, tonumber(ARGV[3]), old[2], old[3], f[1], f[2])
touch(P, tkey, ikey, tonumber(ARGV[5]))
return redis.call('HMGET', tkey, ${THREAD_HMGET})
`;

/**
 * listThreads. ARGV: P, status ("" = any), graphId ("" = any; flag ARGV[4] "1" when filtering by graph),
 * limit, cursor score = updatedAt ms ("" = start), cursor thread id, ascending ("1" for sort "waiting": oldest
 * first, ties by thread id ascending), query (ASCII-lower-cased; "" = none), scan budget (entries examined at
 * most; 0 = no bound). Walks the smallest matching set from the cursor and returns {resumeScore, resumeThread,
 * then up to limit + 1 threads as T, THREAD_FIELDS...}. A query is matched here (no index can serve a substring),
 * so one call examines at most the budget and, stopping short of a full page, names the last entry it examined
 * (resume, "" otherwise) for the caller's cursor. Entries of expired or cleared threads, and stale status /
 * graph memberships, are removed on the way.
 */
const LIST_THREADS = `${HELPERS}
local P, status, graph, byGraph, limit = ARGV[1], ARGV[2], ARGV[3], ARGV[4] == '1', tonumber(ARGV[5])
local cscore, cthread = ARGV[6], ARGV[7]
local asc, query, budget = ARGV[8] == '1', ARGV[9], tonumber(ARGV[10])
local main = P .. 'threads'
local key, kind = main, 'all'
local ks, kg = P .. 'threads:status:' .. status, P .. 'threads:graph:' .. graph
if status ~= '' and byGraph then
  if redis.call('ZCARD', ks) <= redis.call('ZCARD', kg) then key, kind = ks, 'status' else key, kind = kg, 'graph' end
elseif status ~= '' then key, kind = ks, 'status'
elseif byGraph then key, kind = kg, 'graph' end
local cnum = tonumber(cscore)
-- Byte order, as sorted sets order ties (Lua's < on strings follows the server's locale).
local function after(a, b)
  for i = 1, math.min(#a, #b) do
    local x, y = string.byte(a, i), string.byte(b, i)
    if x ~= y then return x > y end
  end
  return #a > #b
end
-- The fields searchFields (thread-search.ts) names: id, graph, status, error message, metadata JSON text.
local function matches(T, f)
  if query == '' then return true end
  local msg = ''
  if f[8] and f[8] ~= 'null' then
    local ok, e = pcall(cjson.decode, f[8])
    if ok and type(e) == 'table' and type(e.message) == 'string' then msg = e.message end
  end
  for _, s in ipairs({T, f[4] or '', f[3] or '', msg, f[9] or '{}'}) do
    if string.find(string.lower(s), query, 1, true) then return true end
  end
  return false
end
local out, found, offset, examined = {'', ''}, 0, 0, 0
while found <= limit do
  local n = limit + 1 - found + 16
  if query ~= '' then n = 256 end
  local r
  if asc then
    r = redis.call('ZRANGEBYSCORE', key, cscore ~= '' and cscore or '-inf', '+inf', 'WITHSCORES', 'LIMIT', offset, n)
  else
    r = redis.call('ZREVRANGEBYSCORE', key, cscore ~= '' and cscore or '+inf', '-inf', 'WITHSCORES', 'LIMIT', offset, n)
  end
  if #r == 0 then break end
  local removed = 0
  for i = 1, #r, 2 do
    local T, score = r[i], r[i + 1]
    if found > limit then break end
    -- Out of budget: out[1], out[2] hold the last entry examined, where the next call goes on.
    if budget > 0 and examined >= budget then return out end
    -- Rows up to and including the cursor (same score, threadId not past it) were on earlier pages.
    local seen = cnum and tonumber(score) == cnum and not (asc and after(T, cthread) or (not asc and after(cthread, T)))
    if not seen then
      examined = examined + 1
      local tkey = tkeys(P, T)
      local f = redis.call('HMGET', tkey, ${THREAD_HMGET})
      if not f[1] then
        redis.call('ZREM', key, T)
        if key ~= main then redis.call('ZREM', main, T) end
        removed = removed + 1
      elseif (kind == 'status' and f[3] ~= status) or (kind == 'graph' and f[4] ~= graph) then
        redis.call('ZREM', key, T)
        removed = removed + 1
      elseif (status == '' or f[3] == status) and ((not byGraph) or f[4] == graph) and matches(T, f) then
        out[#out + 1] = T
        for j = 1, #f do out[#out + 1] = f[j] or false end
        found = found + 1
      end
      out[1], out[2] = score, T
    end
  end
  offset = offset + #r / 2 - removed
end
out[1], out[2] = '', ''
return out
`;

/**
 * importCheckpoint (import.ts). ARGV: P, T, C, parent ("" = none), head JSON (b), writes JSON, nowMs, nowIso,
 * ttlMs (0 = none), summary JSON, metadata JSON, depth, state JSON (always a snapshot), version, namespace ("" =
 * root), the metadata's scalar entries as JSON (f; see save). Writes only
 * when the id is new, the version free in the thread and the parent in the thread; then returns {1}. Otherwise
 * writes nothing and returns {0, thread of the id or "", its version or "", holder of the version or "",
 * thread of the parent or ""}: the caller decides (no-op or INVALID_ARGUMENT) from those facts. The thread's
 * counter (seq) is raised to at least the version, head and count recomputed from the index (an import may be
 * older than the head), and updatedAt (with the listing scores) moved only forward.
 */
const IMPORT = `${HELPERS}
local P, T, C, parent, V = ARGV[1], ARGV[2], ARGV[3], ARGV[4], tonumber(ARGV[14])
local ck = ckey(P, C)
local tkey, ikey = tkeys(P, T)
local f = redis.call('HMGET', ck, 't', 'v')
local holder = redis.call('ZRANGEBYSCORE', ikey, V, V, 'LIMIT', 0, 1)[1] or ''
local pt = ''
if parent ~= '' then pt = redis.call('HGET', ckey(P, parent), 't') or '' end
if f[1] or (holder ~= '' and holder ~= C) or (parent ~= '' and pt ~= T) then
  return {0, f[1] or '', f[2] or '', holder, pt}
end
redis.call('HSET', ck, 't', T, 'p', parent, 'v', V, 'b', ARGV[5], 'w', ARGV[6], 's', ARGV[10], 'm', ARGV[11], 'd', ARGV[12], 'x', ARGV[13], 'f', ARGV[16])
if ARGV[15] ~= '' then redis.call('HSET', ck, 'n', ARGV[15]) end
redis.call('ZADD', ikey, V, C)
if redis.call('HSETNX', tkey, 'createdAt', ARGV[8]) == 1 then
  redis.call('HSET', tkey, 'status', 'idle', 'metadata', '{}', 'error', 'null', 'headVersion', 0)
end
if tonumber(redis.call('HGET', tkey, 'seq') or '0') < V then redis.call('HSET', tkey, 'seq', V) end
refreshHead(P, tkey, ikey)
local cur = redis.call('HGET', tkey, 'updatedAt')
if (not cur) or cur < ARGV[8] then
  redis.call('HSET', tkey, 'updatedAt', ARGV[8])
  local s = redis.call('HMGET', tkey, 'status', 'graphId')
  indexThread(P, T, tonumber(ARGV[7]), s[1], s[2], s[1], s[2])
end
local e = touch(P, tkey, ikey, tonumber(ARGV[9]))
if e then redis.call('PEXPIREAT', ck, e) end
return {1}
`;

/** Locks. KEYS[1] = lock key. acquire/renew: ARGV owner, ttlMs -> {1} or {0, holder, pttl}. */
const ACQUIRE_LOCK = `
local cur = redis.call('GET', KEYS[1])
if (not cur) or cur == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return {1}
end
return {0, cur, redis.call('PTTL', KEYS[1])}
`;
/**
 * acquire + latest (acquireLock with `latest`), one round trip at a run's start. ARGV: P, T, owner, ttlMs.
 * Returns {0, holder, pttl} when refused, else {1, latest...} with latest as LOAD returns it ({} for none).
 */
const ACQUIRE_LATEST = `${HELPERS}${LOAD_FN}
local P, T, owner = ARGV[1], ARGV[2], ARGV[3]
local _, _, lkey = tkeys(P, T)
local cur = redis.call('GET', lkey)
if cur and cur ~= owner then return {0, cur, redis.call('PTTL', lkey)} end
redis.call('SET', lkey, owner, 'PX', ARGV[4])
local out = load(P, 't', T)
table.insert(out, 1, 1)
return out
`;
/** steal: ARGV owner, fromOwner, ttlMs -> 1 if fromOwner held it and owner now does. */
const STEAL_LOCK = `
if redis.call('GET', KEYS[1]) ~= ARGV[2] then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[3])
return 1
`;
/** release: ARGV owner; deletes only the owner's own lock. */
const RELEASE_LOCK = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;

export const SCRIPTS = {
  wpSave: { numberOfKeys: 0, lua: SAVE },
  wpImport: { numberOfKeys: 0, lua: IMPORT },
  wpLoad: { numberOfKeys: 0, lua: LOAD },
  wpChains: { numberOfKeys: 0, lua: CHAINS },
  wpList: { numberOfKeys: 0, lua: LIST },
  wpPutWrites: { numberOfKeys: 1, lua: PUT_WRITES },
  wpCasWrites: { numberOfKeys: 1, lua: CAS_WRITES },
  wpSkeleton: { numberOfKeys: 0, lua: SKELETON },
  wpApplyPrune: { numberOfKeys: 0, lua: APPLY_PRUNE },
  wpClear: { numberOfKeys: 0, lua: CLEAR },
  wpStorage: { numberOfKeys: 0, lua: STORAGE },
  wpUpdateThread: { numberOfKeys: 0, lua: UPDATE_THREAD },
  wpListThreads: { numberOfKeys: 0, lua: LIST_THREADS },
  wpAcquireLock: { numberOfKeys: 1, lua: ACQUIRE_LOCK },
  wpAcquireLatest: { numberOfKeys: 0, lua: ACQUIRE_LATEST },
  wpStealLock: { numberOfKeys: 1, lua: STEAL_LOCK },
  wpReleaseLock: { numberOfKeys: 1, lua: RELEASE_LOCK },
} as const;

export type ScriptName = keyof typeof SCRIPTS;
