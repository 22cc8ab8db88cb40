/**
 * Rooms across the cluster, as Lua scripts (atomic, like those of scripts.ts, with the
 * key prefix as ARGV[1]). Room messages need none of this: each server delivers them to its
 * own members of the room. These keys serve the listings (/rooms, /who ROOM), the room
 * limit and the room's name as created, whatever server created it.
 *
 * Keys (P is the prefix):
 *   P rooms          hash: room key -> the room's name as created
 *   P room:KEY       hash: name key -> name as shown, for the users in room KEY
 *   P in             hash: name key -> room key, where each user is
 *
 * A user's entries are written only while P names holds the name for the writing server, so
 * a move sent right behind a claim (pipelined, one round trip) does nothing when the claim
 * failed, and a late clean-up never removes a user who took a freed name meanwhile.
 */

const OWNED = `local function owned(P, key, id)
  local v = redis.call('HGET', P .. 'names', key)
  return v and string.sub(v, 1, #id + 1) == id .. ' '
end`;

/** Takes KEY out of its room; an empty room is gone. Returns the room's name as shown, or false. */
const LEAVE_ROOM = `local function leave_room(P, key)
  local room = redis.call('HGET', P .. 'in', key)
  if not room then return false end
  local shown = redis.call('HGET', P .. 'rooms', room) or room
  redis.call('HDEL', P .. 'in', key)
  redis.call('HDEL', P .. 'room:' .. room, key)
  if redis.call('HLEN', P .. 'room:' .. room) == 0 then redis.call('HDEL', P .. 'rooms', room) end
  return shown
end`;

/** Puts KEY (shown as NAME) into room ROOM (shown as ROOMSHOWN, if it is created now). Returns the room's name as shown. */
const ENTER_ROOM = `local function enter_room(P, key, name, room, roomShown)
  if redis.call('HSETNX', P .. 'rooms', room, roomShown) == 0 then roomShown = redis.call('HGET', P .. 'rooms', room) end
  redis.call('HSET', P .. 'room:' .. room, key, name)
  redis.call('HSET', P .. 'in', key, room)
  return roomShown
end`;

/**
 * ARGV: P, id, key, name as shown, room key, room as typed, most rooms (0: no limit), old key
 * ('' unless a rename: the user keeps the room of OLDKEY).
 * Returns {room as shown, room left as shown or '', users in the room}; -1 when the room
 * would be one too many; -2 when this server does not hold KEY.
 */
export const MOVE = `${OWNED}
${LEAVE_ROOM}
${ENTER_ROOM}
local P, id, key, name, room, roomShown, most, old = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6], tonumber(ARGV[7]), ARGV[8]
if not owned(P, key, id) then return -2 end
if old ~= '' and old ~= key then
  local kept = redis.call('HGET', P .. 'in', old)
  if kept then
    room = kept
    leave_room(P, old)
  end
end
local current = redis.call('HGET', P .. 'in', key)
if current == room then
  redis.call('HSET', P .. 'room:' .. room, key, name)
  return {redis.call('HGET', P .. 'rooms', room) or roomShown, '', redis.call('HLEN', P .. 'room:' .. room)}
end
if most > 0 and redis.call('HEXISTS', P .. 'rooms', room) == 0 then
  local count = redis.call('HLEN', P .. 'rooms')
  if current and redis.call('HLEN', P .. 'room:' .. current) == 1 then count = count - 1 end
  if count >= most then return -1 end
end
local left = ''
if current then left = leave_room(P, key) end
local shown = enter_room(P, key, name, room, roomShown)
return {shown, left, redis.call('HLEN', P .. 'room:' .. room)}`;

/**
 * ARGV: P, then name keys. Takes out of their rooms the users whose names nobody holds any
 * more (released, or freed with a dead server). Returns {name as shown, room as shown, ...}.
 */
export const VACATE = `${LEAVE_ROOM}
local P = ARGV[1]
local out = {}
for i = 2, #ARGV do
  local key = ARGV[i]
  if redis.call('HEXISTS', P .. 'names', key) == 0 then
    local room = redis.call('HGET', P .. 'in', key)
    local name = room and redis.call('HGET', P .. 'room:' .. room, key)
    local shown = leave_room(P, key)
    if shown then
      out[#out + 1] = name or key
      out[#out + 1] = shown
    end
  end
end
return out`;

/**
 * ARGV: P, id, then groups of name key, name as shown, room key, room as shown: where this
 * server's users are, written again after Redis was away (it may have lost them).
 */
export const REENTER = `${OWNED}
${LEAVE_ROOM}
${ENTER_ROOM}
local P, id = ARGV[1], ARGV[2]
for i = 3, #ARGV, 4 do
  local key, name, room, roomShown = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3]
  if owned(P, key, id) then
    local current = redis.call('HGET', P .. 'in', key)
    if current and current ~= room then leave_room(P, key) end
    enter_room(P, key, name, room, roomShown)
  end
end
return 1`;

/**
 * ARGV: P, room key. Returns {room as shown, names...}, or {} when nobody is in it. Entries
 * whose name nobody holds (a clean-up that never ran) are dropped on the way.
 */
export const ROOM_NAMES = `${LEAVE_ROOM}
local P, room = ARGV[1], ARGV[2]
local shown = redis.call('HGET', P .. 'rooms', room)
if not shown then return {} end
local entries = redis.call('HGETALL', P .. 'room:' .. room)
local out = {shown}
for i = 1, #entries, 2 do
  if redis.call('HEXISTS', P .. 'names', entries[i]) == 1 then
    out[#out + 1] = entries[i + 1]
  else
    leave_room(P, entries[i])
  end
end
if #out == 1 then return {} end
return out`;

/** ARGV: P. Returns {room as shown, users in it, ...}. */
export const ROOM_LIST = `
local P = ARGV[1]
local rooms = redis.call('HGETALL', P .. 'rooms')
local out = {}
for i = 1, #rooms, 2 do
  out[#out + 1] = rooms[i + 1]
  out[#out + 1] = redis.call('HLEN', P .. 'room:' .. rooms[i])
end
return out`;
