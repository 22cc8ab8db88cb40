import { HOLDERS } from './scripts.js';

/**
 * Rooms across the cluster, as Lua scripts (atomic, like those of scripts.ts, with the
 * key prefix as ARGV[1]). Room messages need none of this: each server delivers them to its
 * own members of the room. These keys serve the listings (/rooms, /who ROOM), the room
 * limit and the room's name as created, whatever server created it.
 *
 * Keys (P is the prefix):
 *   P rooms          hash: room key -> the room's name as created
 *   P room:KEY       hash: name key -> name as shown, for the users in room KEY
 *   P in:KEY         set: the room keys user KEY is in (at most --max-rooms-per-user: what
 *                    one user holds in Redis is bounded by that limit)
 *   P rstate         hash: room key -> the room's state (RoomState, JSON), while it has people
 *   P hidden         set: the keys of rooms whose state hides them from non-members
 *
 * A user's entries are written only while P names holds the name for the writing server, so
 * an entry sent right behind a claim (pipelined, one round trip) does nothing when the claim
 * failed, and a late clean-up never removes a user who took a freed name meanwhile.
 */

const OWNED = `local function owned(P, key, id)
  local v = redis.call('HGET', P .. 'names', key)
  return v and string.sub(v, 1, #id + 1) == id .. ' '
end`;

/**
 * Whether server ID holds KEY, first or beside others (devices of an account on several
 * servers: scripts.ts, HOLDERS): each may write the account's room entries.
 */
const HELD = `${HOLDERS}
local function held(P, key, id)
  return holds(redis.call('HGET', P .. 'names', key), id)
end`;

/** Takes KEY out of room ROOM (a key); an empty room is gone. Returns the room's name as shown, or false. */
const LEAVE_ROOM = `local function leave_room(P, key, room)
  local was = redis.call('SREM', P .. 'in:' .. key, room) + redis.call('HDEL', P .. 'room:' .. room, key)
  if was == 0 then return false end
  local shown = redis.call('HGET', P .. 'rooms', room) or room
  if redis.call('HLEN', P .. 'room:' .. room) == 0 then
    redis.call('HDEL', P .. 'rooms', room)
    redis.call('HDEL', P .. 'rstate', room)
    redis.call('SREM', P .. 'hidden', room)
  end
  return shown
end`;

/** Writes JSON as room ROOM's state, and whether it hides the room. */
const PUT_STATE = `local function put_state(P, room, json)
  redis.call('HSET', P .. 'rstate', room, json)
  local st = cjson.decode(json)
  if st.private or st.secret then redis.call('SADD', P .. 'hidden', room) else redis.call('SREM', P .. 'hidden', room) end
end`;

/**
 * KEY has joined room ROOM, which exists: its invitation is used up, and a name that is no
 * account's (ACCOUNT '0') is no operator nor voiced (RoomState.ops; enteredBy in
 * protocol/room-state.ts, which this mirrors). Returns the state's JSON, or '' for none.
 */
const ENTERED_BY = `local function entered_by(P, room, key, account)
  local cur = redis.call('HGET', P .. 'rstate', room)
  if not cur then return '' end
  local st = cjson.decode(cur)
  local changed = false
  local function drop(field)
    local list = st[field]
    if type(list) ~= 'table' then return end
    local out, found = {}, false
    for _, k in ipairs(list) do
      if k == key then found = true else out[#out + 1] = k end
    end
    if found then
      changed = true
      if #out == 0 and field ~= 'ops' then st[field] = nil else st[field] = out end
    end
  end
  drop('invited')
  if account == '0' then
    drop('ops')
    drop('voiced')
  end
  if not changed then return cur end
  st.v = st.v + 1
  local json = cjson.encode(st)
  put_state(P, room, json)
  return json
end`;

/** Takes KEY out of all its rooms. Returns them as shown. */
const LEAVE_ALL = `local function leave_all(P, key)
  local out = {}
  for _, room in ipairs(redis.call('SMEMBERS', P .. 'in:' .. key)) do
    local shown = leave_room(P, key, room)
    if shown then out[#out + 1] = shown end
  end
  redis.call('DEL', P .. 'in:' .. key)
  return out
end`;

/** The id of the stream's last entry ('0-0' for none): what was said before a user entered a room. */
const LAST_ID = `local function last_id(P)
  local last = redis.call('XREVRANGE', P .. 'stream', '+', '-', 'COUNT', 1)
  return last[1] and last[1][1] or '0-0'
end`;

/** Puts KEY (shown as NAME) into room ROOM (shown as ROOMSHOWN, if it is created now). Returns the room's name as shown. */
const ENTER_ROOM = `local function enter_room(P, key, name, room, roomShown)
  if redis.call('HSETNX', P .. 'rooms', room, roomShown) == 0 then roomShown = redis.call('HGET', P .. 'rooms', room) end
  redis.call('HSET', P .. 'room:' .. room, key, name)
  redis.call('SADD', P .. 'in:' .. key, room)
  return roomShown
end`;

/**
 * Sent right behind a claim (Registry.claim). ARGV: P, id, key, name as shown, the first
 * room's key and name (the lobby; key '' for none), old key ('' unless a rename). A new name
 * enters the lobby; a rename takes OLDKEY's rooms along (under the same key: its name as now shown).
 * Entries under KEY from before (the user a takeover evicted) are taken out first.
 * Returns {the lobby as shown or '', users in it, the stream's last id, rooms left as
 * shown...}; -2 when this server does not hold KEY.
 */
export const ENTER = `${OWNED}
${LEAVE_ROOM}
${LEAVE_ALL}
${ENTER_ROOM}
${LAST_ID}
local P, id, key, name, lobby, lobbyShown, old = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7]
if not owned(P, key, id) then return -2 end
if old == key then
  for _, room in ipairs(redis.call('SMEMBERS', P .. 'in:' .. key)) do redis.call('HSET', P .. 'room:' .. room, key, name) end
  return {'', 0, ''}
end
local left = leave_all(P, key)
local out
if old ~= '' then
  for _, room in ipairs(redis.call('SMEMBERS', P .. 'in:' .. old)) do
    redis.call('HDEL', P .. 'room:' .. room, old)
    redis.call('HSET', P .. 'room:' .. room, key, name)
    redis.call('SADD', P .. 'in:' .. key, room)
  end
  redis.call('DEL', P .. 'in:' .. old)
  out = {'', 0, ''}
elseif lobby == '' then
  out = {'', 0, ''}
else
  local shown = enter_room(P, key, name, lobby, lobbyShown)
  out = {shown, redis.call('HLEN', P .. 'room:' .. lobby), last_id(P)}
end
for _, room in ipairs(left) do out[#out + 1] = room end
return out`;

/**
 * ARGV: P, id, key, name as shown, room key, room as typed, most rooms (0: no limit), the
 * state of the room should this join make it (JSON, '' for none), whether the name is an
 * account's ('1') or not ('0'; JoinEntry). Returns {room as shown, users in it, the stream's
 * last id, its state's JSON or '', 1 when this join made it}; -1 when the room would be one
 * too many; -2 when this server does not hold KEY.
 */
export const JOIN = `${HELD}
${ENTER_ROOM}
${LAST_ID}
${PUT_STATE}
${ENTERED_BY}
local P, id, key, name, room, roomShown, most, fresh, account = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6], tonumber(ARGV[7]), ARGV[8], ARGV[9]
if not held(P, key, id) then return -2 end
local exists = redis.call('HEXISTS', P .. 'rooms', room) == 1
local was = redis.call('SISMEMBER', P .. 'in:' .. key, room) == 1
if most > 0 and not was and not exists then
  if redis.call('HLEN', P .. 'rooms') >= most then return -1 end
end
local shown = enter_room(P, key, name, room, roomShown)
local state
if not exists then
  state = fresh
  if fresh ~= '' then put_state(P, room, fresh) end
elseif was or account == '' then
  state = redis.call('HGET', P .. 'rstate', room) or ''
else
  state = entered_by(P, room, key, account)
end
return {shown, redis.call('HLEN', P .. 'room:' .. room), last_id(P), state, exists and 0 or 1}`;

/**
 * ARGV: P, room key, the version the change was made from, the new state's JSON. Returns
 * 1 when written, 0 when the state is at another version now, -1 when nobody is in the room.
 */
export const SET_STATE = `${PUT_STATE}
local P, room, from, json = ARGV[1], ARGV[2], tonumber(ARGV[3]), ARGV[4]
if redis.call('HEXISTS', P .. 'rooms', room) == 0 then return -1 end
local cur = redis.call('HGET', P .. 'rstate', room)
local v = cur and cjson.decode(cur).v or 0
if v ~= from then return 0 end
put_state(P, room, json)
return 1`;

/** ARGV: P, room key. Returns {room as shown, its state's JSON or '', users in it}, or {} when nobody is in it. */
export const ROOM_STATE = `
local P, room = ARGV[1], ARGV[2]
local shown = redis.call('HGET', P .. 'rooms', room)
if not shown then return {} end
return {shown, redis.call('HGET', P .. 'rstate', room) or '', redis.call('HLEN', P .. 'room:' .. room)}`;

/** ARGV: P, id, key, room key. Takes KEY out of the room, if this server holds KEY. */
export const PART = `${HELD}
${LEAVE_ROOM}
local P, id, key, room = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
if held(P, key, id) then leave_room(P, key, room) end
return 1`;

/**
 * ARGV: P, then name keys. Takes out of their rooms the users whose names nobody holds any
 * more (released, freed with a dead server, or left with theirs). Returns, for each user
 * that was in a room, {name as shown, {rooms as shown...}}, flattened by one level.
 */
export const VACATE = `${LEAVE_ROOM}
${LEAVE_ALL}
local P = ARGV[1]
local out = {}
for i = 2, #ARGV do
  local key = ARGV[i]
  if redis.call('HEXISTS', P .. 'names', key) == 0 then
    local first = redis.call('SMEMBERS', P .. 'in:' .. key)[1]
    local name = first and redis.call('HGET', P .. 'room:' .. first, key)
    local rooms = leave_all(P, key)
    if #rooms > 0 then
      out[#out + 1] = name or key
      out[#out + 1] = rooms
    end
  end
end
return out`;

/**
 * ARGV: P, id, then for each user: name key, name as shown, the number of its rooms N, and
 * N pairs of room key and room as shown. Where this server's users are, written again after
 * Redis was away (it may have lost them, or kept rooms they left meanwhile).
 */
export const REENTER = `${HELD}
${LEAVE_ROOM}
${ENTER_ROOM}
local P, id = ARGV[1], ARGV[2]
local i = 3
while i <= #ARGV do
  local key, name, n = ARGV[i], ARGV[i + 1], tonumber(ARGV[i + 2])
  if held(P, key, id) then
    local keep = {}
    for j = 0, n - 1 do keep[ARGV[i + 3 + 2 * j]] = true end
    -- Held by other servers too (devices of one account): a room one of them joined while we
    -- were away is the account's, not one we left: rooms are only added here.
    if #holders(redis.call('HGET', P .. 'names', key)) == 1 then
      for _, room in ipairs(redis.call('SMEMBERS', P .. 'in:' .. key)) do
        if not keep[room] then leave_room(P, key, room) end
      end
    end
    for j = 0, n - 1 do enter_room(P, key, name, ARGV[i + 3 + 2 * j], ARGV[i + 4 + 2 * j]) end
  end
  i = i + 3 + 2 * n
end
return 1`;

/**
 * ARGV: P, room key. Returns {room as shown, its state's JSON or '', names...}, or {} when
 * nobody is in it. Entries whose name nobody holds (a clean-up that never ran) are dropped on
 * the way.
 */
export const ROOM_NAMES = `${LEAVE_ROOM}
local P, room = ARGV[1], ARGV[2]
local shown = redis.call('HGET', P .. 'rooms', room)
if not shown then return {} end
local entries = redis.call('HGETALL', P .. 'room:' .. room)
local out = {shown, redis.call('HGET', P .. 'rstate', room) or ''}
for i = 1, #entries, 2 do
  if redis.call('HEXISTS', P .. 'names', entries[i]) == 1 then
    out[#out + 1] = entries[i + 1]
  else
    leave_room(P, entries[i], room)
  end
end
if #out == 2 then return {} end
return out`;

/** ARGV: P. Returns {room as shown, users in it, 1 if hidden from non-members else 0, ...}. */
export const ROOM_LIST = `
local P = ARGV[1]
local rooms = redis.call('HGETALL', P .. 'rooms')
local out = {}
for i = 1, #rooms, 2 do
  out[#out + 1] = rooms[i + 1]
  out[#out + 1] = redis.call('HLEN', P .. 'room:' .. rooms[i])
  out[#out + 1] = redis.call('SISMEMBER', P .. 'hidden', rooms[i])
end
return out`;

/**
 * ARGV: P, key. The rooms of user KEY as shown, for a device of it on another server
 * (Registry.claim): {the stream's last id, rooms...}.
 */
export const ROOMS_OF = `${LAST_ID}
local P, key = ARGV[1], ARGV[2]
local out = {last_id(P)}
for _, room in ipairs(redis.call('SMEMBERS', P .. 'in:' .. key)) do out[#out + 1] = redis.call('HGET', P .. 'rooms', room) or room end
return out`;
