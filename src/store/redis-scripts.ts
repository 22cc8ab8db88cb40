import type { Redis } from '../redis/ioredis.js';

/**
 * The Lua scripts of the Redis store (redis-store.ts lists the keys they work on). Each does
 * in one step what two servers, or a check and its write, must not split.
 */

/**
 * KEYS: P owned-rooms, P owned-count. ARGV: the room key, the state's version, its owner's
 * key, the state as JSON. Keeps the state unless the one kept has a version as new or newer,
 * and moves the room's count from its old owner to its new one: one script, so two servers
 * saving one room at once keep the newest, and the counts stay those of the states kept.
 * Returns 1 when kept, 0 when not newer; fails before changing anything when what is kept
 * cannot be read, the state or a count (owned-rooms.ts says why it is not overwritten).
 */
const SAVE_ROOM = `
local rooms, counts = KEYS[1], KEYS[2]
local room, v, owner, json = ARGV[1], tonumber(ARGV[2]), ARGV[3], ARGV[4]
local function damaged(name)
  local n = redis.call('HGET', counts, name)
  return n and not string.match(n, '^%d+$')
end
local old = redis.call('HGET', rooms, room)
if damaged(owner) then return redis.error_reply('the count of the rooms ' .. owner .. ' owns is damaged') end
if old then
  local ok, kept = pcall(cjson.decode, old)
  if not ok or type(kept) ~= 'table' or type(kept.v) ~= 'number' or type(kept.owner) ~= 'string' then
    return redis.error_reply('the kept state of the room ' .. room .. ' is damaged')
  end
  if kept.v >= v then return 0 end
  local was = string.lower(kept.owner)
  if was ~= owner then
    if damaged(was) then return redis.error_reply('the count of the rooms ' .. was .. ' owns is damaged') end
    if redis.call('HINCRBY', counts, was, -1) <= 0 then redis.call('HDEL', counts, was) end
    redis.call('HINCRBY', counts, owner, 1)
  end
else
  redis.call('HINCRBY', counts, owner, 1)
end
redis.call('HSET', rooms, room, json)
return 1`;

/**
 * KEYS: the account's stream. ARGV: oldest `at` still fresh, offlineMax, at, from, text,
 * offlineMs, the sender's limit (senderMax). Drops what has run out, then keeps the message
 * unless offlineMax are waiting, or the sender's limit from this sender (names compared
 * without regard to case, names.ts): one script, so two servers keeping for one account at
 * once cannot both pass a limit. Returns 1 when kept, 0 when full, 2 when full from FROM.
 */
const KEEP = `
local key, oldest, max = KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2])
local sender, senderMax = string.lower(ARGV[4]), tonumber(ARGV[7])
local fresh, mine = 0, 0
for _, e in ipairs(redis.call('XRANGE', key, '-', '+')) do
  if tonumber(e[2][2]) <= oldest then redis.call('XDEL', key, e[1]) else
    fresh = fresh + 1
    if string.lower(e[2][4]) == sender then mine = mine + 1 end
  end
end
if fresh >= max then return 0 end
if mine >= senderMax then return 2 end
redis.call('XADD', key, '*', 'at', ARGV[3], 'f', ARGV[4], 't', ARGV[5])
redis.call('PEXPIRE', key, ARGV[6])
return 1`;

/**
 * One turn's room messages (docs/cluster.md, "History"). KEYS: the hash of bytes per room,
 * the total, the sorted set of rooms by their oldest message, then the rooms' streams.
 * ARGV: --history, --history-disk, the idle time after which a room's history goes, the
 * bytes an entry costs beyond its fields, then for each message the index of its stream in
 * KEYS, at, from, text. Each room keeps its last --history messages exactly, and past
 * --history-disk the chat's oldest messages go first, whatever their room, 16 at a time.
 * Before a room is written to, its count is set right: a history that expired while idle
 * is no longer counted, and one written before counting began is counted whole. One that
 * expired and is never spoken in again is forgotten when the trimming meets it.
 */
const APPEND = `
local sizes, total, order = KEYS[1], KEYS[2], KEYS[3]
local perRoom, bound, idle, extra = tonumber(ARGV[1]), tonumber(ARGV[2]), ARGV[3], tonumber(ARGV[4])
local function bytesOf(e)
  local n = extra
  for i = 2, #e[2], 2 do n = n + #e[2][i] end
  return n
end
local function drop(key, count)
  local gone, n = 0, 0
  for _, e in ipairs(redis.call('XRANGE', key, '-', '+', 'COUNT', count)) do
    gone = gone + bytesOf(e)
    redis.call('XDEL', key, e[1])
    n = n + 1
  end
  return gone, n
end
local function recount(key)
  if redis.call('EXISTS', key) == 0 then
    local stale = tonumber(redis.call('HGET', sizes, key) or '0')
    if stale ~= 0 then redis.call('DECRBY', total, stale) end
    redis.call('HDEL', sizes, key)
  elseif redis.call('HEXISTS', sizes, key) == 0 then
    local held = 0
    for _, e in ipairs(redis.call('XRANGE', key, '-', '+')) do held = held + bytesOf(e) end
    redis.call('HSET', sizes, key, held)
    redis.call('INCRBY', total, held)
  end
end
local function oldestMs(key)
  local first = redis.call('XRANGE', key, '-', '+', 'COUNT', 1)[1]
  return tonumber(string.match(first[1], '^(%d+)'))
end
local added, touched = {}, {}
for i = 5, #ARGV, 4 do
  local key = KEYS[tonumber(ARGV[i])]
  if added[key] == nil then
    recount(key)
    touched[#touched + 1] = key
  end
  redis.call('XADD', key, '*', 'at', ARGV[i + 1], 'f', ARGV[i + 2], 't', ARGV[i + 3])
  added[key] = (added[key] or 0) + extra + #ARGV[i + 1] + #ARGV[i + 2] + #ARGV[i + 3]
end
for _, key in ipairs(touched) do
  local bytes = added[key]
  local n = redis.call('XLEN', key)
  if n > perRoom then bytes = bytes - drop(key, n - perRoom) end
  redis.call('HINCRBY', sizes, key, bytes)
  redis.call('INCRBY', total, bytes)
  redis.call('ZADD', order, oldestMs(key), key)
  redis.call('PEXPIRE', key, idle)
end
for _ = 1, 1000 do
  if tonumber(redis.call('GET', total) or '0') <= bound then break end
  local oldest = redis.call('ZRANGE', order, 0, 0)[1]
  if oldest == nil then
    redis.call('SET', total, 0)
    break
  end
  local gone, n = drop(oldest, 16)
  if redis.call('XLEN', oldest) == 0 then
    gone = tonumber(redis.call('HGET', sizes, oldest) or '0')
    redis.call('HDEL', sizes, oldest)
    redis.call('ZREM', order, oldest)
    redis.call('DEL', oldest)
  else
    redis.call('HINCRBY', sizes, oldest, -gone)
    redis.call('ZADD', order, oldestMs(oldest), oldest)
  end
  redis.call('DECRBY', total, gone)
end
return 1`;

/**
 * KEYS: P devices:NAME, P device-times:NAME. ARGV: the device key, when it left, the mark as
 * JSON, the oldest time still fresh, DEVICE_MARKS_MAX, catchupMs. Keeps the mark, then drops
 * the marks that ran out and the least recently left past the bound: one script, so two
 * servers marking devices of one account at once leave both keys alike. Only commands the
 * ACL of docs/cluster.md allows already (ZRANGE, not ZCARD): an upgrade needs no new ACL.
 */
const MARK_DEVICE = `
local marks, times = KEYS[1], KEYS[2]
local device, at, json, oldest, max, ttl = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4]), tonumber(ARGV[5]), ARGV[6]
redis.call('HSET', marks, device, json)
redis.call('ZADD', times, at, device)
local all = redis.call('ZRANGE', times, 0, -1, 'WITHSCORES')
local left = #all / 2
for i = 1, #all, 2 do
  if tonumber(all[i + 1]) > oldest and left <= max then break end
  redis.call('ZREM', times, all[i])
  redis.call('HDEL', marks, all[i])
  left = left - 1
end
redis.call('PEXPIRE', marks, ttl)
redis.call('PEXPIRE', times, ttl)
return left`;

/**
 * One turn's direct messages for the catch-up logs. KEYS: for each account its log, then its
 * device-times. ARGV: the oldest time still fresh, DIRECT_LOG_MAX, catchupMs, then for each
 * message the index in KEYS of its account's log, at, from, to, text. A message is logged only
 * for an account with a mark still fresh (Store.logDirect): the check and the write in one
 * script, so a turn costs one round trip and a mark that runs out cannot let one more in.
 * Each log written to drops what has run out from its head (logged in order) and keeps its
 * last DIRECT_LOG_MAX.
 */
const LOG_DIRECTS = `
local oldest, max, ttl = tonumber(ARGV[1]), ARGV[2], ARGV[3]
local marked, touched = {}, {}
for i = 4, #ARGV, 5 do
  local slot = tonumber(ARGV[i])
  local log = KEYS[slot]
  if marked[log] == nil then
    marked[log] = #redis.call('ZRANGE', KEYS[slot + 1], '(' .. ARGV[1], '+inf', 'BYSCORE', 'LIMIT', 0, 1) > 0
    if marked[log] then touched[#touched + 1] = log end
  end
  if marked[log] then
    redis.call('XADD', log, 'MAXLEN', max, '*', 'at', ARGV[i + 1], 'f', ARGV[i + 2], 'to', ARGV[i + 3], 't', ARGV[i + 4])
  end
end
for _, log in ipairs(touched) do
  local stale = true
  while stale do
    stale = false
    for _, e in ipairs(redis.call('XRANGE', log, '-', '+', 'COUNT', 16)) do
      if tonumber(e[2][2]) > oldest then break end
      redis.call('XDEL', log, e[1])
      stale = true
    end
  end
  redis.call('PEXPIRE', log, ttl)
end
return #touched`;

/** The scripts as commands of a connection. */
/**
 * KEYS: P read-markers:NAME, P read-marker-times:NAME. ARGV: the target key, the time,
 * READ_MARKERS_MAX. Moves the marker to the time unless it is there or later already, drops
 * the oldest past the bound, and answers the marker kept: one script, so two servers setting
 * one marker at once keep the later. Only commands the ACL of docs/cluster.md allows already.
 */
const SET_READ_MARKER = `
local marks, times = KEYS[1], KEYS[2]
local target, at, max = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
local was = redis.call('HGET', marks, target)
local kept = was and tonumber(was)
if was and not kept then return redis.error_reply('the kept read marker ' .. target .. ' is damaged') end
if kept and kept >= at then return was end
redis.call('HSET', marks, target, ARGV[2])
redis.call('ZADD', times, ARGV[2], target)
for _, old in ipairs(redis.call('ZRANGE', times, 0, -(max + 1))) do
  redis.call('ZREM', times, old)
  redis.call('HDEL', marks, old)
end
return ARGV[2]`;

export interface Scripts {
  chatKeep(key: string, ...args: string[]): Promise<number>;
  chatAppend(keys: number, ...keysAndArgs: string[]): Promise<number>;
  chatSaveRoom(rooms: string, counts: string, ...args: string[]): Promise<number>;
  chatMarkDevice(marks: string, times: string, ...args: string[]): Promise<number>;
  chatLogDirects(keys: number, ...keysAndArgs: string[]): Promise<number>;
  chatSetReadMarker(marks: string, times: string, ...args: string[]): Promise<string>;
}

/** Defines the scripts on REDIS, once: a shared connection (the hub's) may have them from another store. */
export function withScripts(redis: Redis): Redis & Scripts {
  const r = redis as Redis & Scripts;
  if (typeof r.chatKeep !== 'function') r.defineCommand('chatKeep', { numberOfKeys: 1, lua: KEEP });
  if (typeof r.chatAppend !== 'function') r.defineCommand('chatAppend', { lua: APPEND });
  if (typeof r.chatSaveRoom !== 'function') r.defineCommand('chatSaveRoom', { numberOfKeys: 2, lua: SAVE_ROOM });
  if (typeof r.chatMarkDevice !== 'function') r.defineCommand('chatMarkDevice', { numberOfKeys: 2, lua: MARK_DEVICE });
  if (typeof r.chatLogDirects !== 'function') r.defineCommand('chatLogDirects', { lua: LOG_DIRECTS });
  if (typeof r.chatSetReadMarker !== 'function') r.defineCommand('chatSetReadMarker', { numberOfKeys: 2, lua: SET_READ_MARKER });
  return r;
}
