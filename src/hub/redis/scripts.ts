import { FIELD, NAMES_FIELD } from './cluster-message.js';

/**
 * The Redis hub's state changes, each one Lua script so that it is atomic: no other server
 * runs a command in the middle of one. Every script takes the key prefix as ARGV[1] and
 * the calling server's id as ARGV[2].
 *
 * Keys (P is the prefix, "chat:" by default):
 *   P names          hash: name key -> "SERVERID Name", the whole chat's registry; an account
 *                    logged in on several servers (docs/protocol.md, "Your account") is
 *                    "SERVERID Name OTHERID...": the first holds the name, the others hold
 *                    devices of it, and each has it in its P server:ID
 *   P server:ID      set: the name keys server ID holds, so a dead server's names are found
 *   P servers        set: the ids of the servers in the chat
 *   P leases         hash: server id -> the chat time its lease runs out, renewed every lease/3
 *   P clock          hash: the chat time ("now") and Redis's time when it last moved ("real")
 *   P gone:ID        set when ID was counted as dead, so its users are announced if it returns
 *   P epoch          exists while Redis holds our data: missing after a restart without it
 *   P accounts       hash: server id -> "accounts" or "open", whether it checks passwords:
 *                    the servers of one chat must agree (RedisHub's start)
 *   P settling       for a moment after such a restart, while servers reclaim their names
 *   P stream         stream: every message between servers (cluster-message.ts), read by
 *                    every server from the last entry it has seen; trimmed by age (MINID, given
 *                    by the caller) as entries are added.
 *                    A script that takes a name from its server (RELEASE, TICK, SYNC, LEAVE,
 *                    CLAIM) says so there too: servers forget where that user was (holders.ts)
 *
 * Scripts build key names from ARGV, so they suit one Redis (with replicas or Sentinel), not
 * Redis Cluster: docs/cluster.md says so.
 */

/** Does v, an entry of P names, belong to server id? */
const OWNED = `local function owned(v, id) return v and string.sub(v, 1, #id + 1) == id .. ' ' end`;

/**
 * An entry of P names as its servers (the first holds the name, the others devices of it)
 * and its name; the entry of SERVERS and NAME; V without server ID: '' when it was the last,
 * the next server holding it first when ID did; and whether ID is one of V's servers.
 */
export const HOLDERS = `local function holders(v)
  local servers, name = {}, nil
  for word in string.gmatch(v, '%S+') do
    if name == nil and #servers == 1 then name = word else servers[#servers + 1] = word end
  end
  return servers, name
end
local function entry(servers, name)
  local v = servers[1] .. ' ' .. name
  for i = 2, #servers do v = v .. ' ' .. servers[i] end
  return v
end
local function without(v, id)
  local servers, name = holders(v)
  local rest = {}
  for _, s in ipairs(servers) do if s ~= id then rest[#rest + 1] = s end end
  if #rest == 0 then return '', name end
  return entry(rest, name), name
end
local function holds(v, id)
  if not v then return false end
  for _, s in ipairs((holders(v))) do if s == id then return true end end
  return false
end`;

/**
 * Tells every server that KEYS changed hands: one "names changed" entry (holders.ts),
 * trimming the stream to MINID as every XADD of ours does.
 */
const CHANGED = `local function changed(P, keys, minid)
  if #keys > 0 then redis.call('XADD', P .. 'stream', 'MINID', '~', minid, '*', '${NAMES_FIELD}', table.concat(keys, ' ')) end
end`;

/**
 * The chat's clock, against which leases are compared: Redis's own time (TIME, never a
 * server's), except that a stretch in which no server was heard from counts for at most
 * STEP ms, the renewal interval. Servers renew every STEP, so such a stretch means Redis
 * itself was not running scripts (frozen, swapped out, busy with a slow command) and no
 * server could renew: it must not count against them. When Redis wakes, the renewals
 * queued behind the stall run a moment after the chat time moved by STEP, while every live
 * server's lease, three STEPs long and renewed at most one STEP before the stall, has at
 * least one STEP left: a stall of any length frees nobody. A dead server renews
 * nothing after the wake, and is freed one lease later, as if no stall had happened.
 * Redis's time going back (a clock step) moves the chat time by nothing.
 */
const CLOCK = `local function chatNow(P, step)
  local t = redis.call('TIME')
  local real = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
  local key = P .. 'clock'
  local last, now = tonumber(redis.call('HGET', key, 'real')), tonumber(redis.call('HGET', key, 'now'))
  if last == nil or now == nil then now = real else now = now + math.min(math.max(real - last, 0), step) end
  redis.call('HSET', key, 'real', string.format('%.0f', real), 'now', string.format('%.0f', now))
  return now
end
local function renewLease(P, id, now, lease)
  redis.call('HSET', P .. 'leases', id, string.format('%.0f', now + lease))
end`;

/**
 * ARGV: P, id, key, display name, old key ('' for a new registration), '1' to take the key
 * from another server's user (a newer login of its account), '2' to hold it beside the
 * servers holding it (one more device of the account), else '0', the stream's MINID
 * (entries older than this may be trimmed).
 * Returns { number of names after the claim, the name as the other server's user had it or
 * '', '1' when this server holds it beside others now ('2': then the name as shown) }; { -1 } when another server
 * holds the key (and it is not taken over); { -2 } when this server is not in the chat (it
 * was counted as dead, or Redis lost its data); { -3 } while servers reclaim their names
 * after Redis lost its data; { -4 } for a rename of a name other servers hold too.
 * The eviction goes into the stream here, before the claimant can announce anything: its
 * holders' servers read it before any "joined" of the newcomer.
 */
export const CLAIM = `${OWNED}
${HOLDERS}
${CHANGED}
local P, id, key, old = ARGV[1], ARGV[2], ARGV[3], ARGV[5]
if redis.call('SISMEMBER', P .. 'servers', id) == 0 then return { -2 } end
if redis.call('EXISTS', P .. 'settling') == 1 then return { -3 } end
local names, mine = P .. 'names', P .. 'server:' .. id
if old ~= '' and old ~= key then
  local was = redis.call('HGET', names, old)
  if was and #holders(was) > 1 then return { -4 } end
end
local held = redis.call('HGET', names, key)
local took, moved = '', {}
if held and ARGV[6] == '2' and old == '' and not owned(held, id) then
  -- One more device, beside the servers holding it: they are told (a % frame: what is for
  -- the account goes into the stream for us too), and every server forgets where it was.
  local servers, shown = holders(held)
  if not holds(held, id) then
    local pairs = {}
    for _, holder in ipairs(servers) do pairs[#pairs + 1] = key .. ' ' .. holder end
    redis.call('XADD', P .. 'stream', 'MINID', '~', ARGV[7], '*', '${FIELD}', id .. ' 1 ' .. table.concat(pairs, ' ') .. '\\n% ' .. key .. ' 0\\n')
    redis.call('HSET', names, key, held .. ' ' .. id)
    redis.call('SADD', mine, key)
    changed(P, { key }, ARGV[7])
  end
  return { redis.call('HLEN', names), shown, '1' }
end
if held and not owned(held, id) then
  if ARGV[6] == '0' then return { -1 } end
  local servers, shown = holders(held)
  took = shown
  local pairs = {}
  for _, holder in ipairs(servers) do
    redis.call('SREM', P .. 'server:' .. holder, key)
    pairs[#pairs + 1] = key .. ' ' .. holder
  end
  redis.call('XADD', P .. 'stream', 'MINID', '~', ARGV[7], '*', '${FIELD}', id .. ' 1 ' .. table.concat(pairs, ' ') .. '\\n! ' .. key .. ' 0\\n')
  moved[#moved + 1] = key
end
-- Ours already (a case change, a claim Redis did though its answer was lost): the servers beside us stay.
if held and owned(held, id) then
  local servers = holders(held)
  redis.call('HSET', names, key, entry(servers, ARGV[4]))
else
  redis.call('HSET', names, key, id .. ' ' .. ARGV[4])
end
redis.call('SADD', mine, key)
if old ~= '' and old ~= key then
  if owned(redis.call('HGET', names, old), id) then
    redis.call('HDEL', names, old)
    moved[#moved + 1] = old
  end
  redis.call('SREM', mine, old)
end
changed(P, moved, ARGV[7])
return { redis.call('HLEN', names), took }`;

/**
 * ARGV: P, id, key, the stream's MINID. Returns { the number of names left, 1 when other
 * servers still hold it (devices of the account: the next holds the name now) else 0 }.
 */
export const RELEASE = `${HOLDERS}
${CHANGED}
local P, id, key = ARGV[1], ARGV[2], ARGV[3]
local names = P .. 'names'
local v = redis.call('HGET', names, key)
local still = 0
if holds(v, id) then
  local rest = without(v, id)
  if rest == '' then redis.call('HDEL', names, key) else redis.call('HSET', names, key, rest) still = 1 end
  changed(P, { key }, ARGV[4])
elseif v then
  still = 1
end
redis.call('SREM', P .. 'server:' .. id, key)
return { redis.call('HLEN', names), still }`;

/**
 * ARGV: P, id, lease in ms, renewal interval in ms, the stream's MINID. Renews this server's
 * lease, then frees the names of every server whose lease has run out in chat time (CLOCK).
 * Only one server's TICK finds a given dead server, so its users are announced once. Returns { 1 if this
 * server is in the chat else 0, number of names, { SERVERID, NAME, ... for each name freed } }.
 */
export const TICK = `${OWNED}
${HOLDERS}
${CLOCK}
${CHANGED}
local P, id, lease, step = ARGV[1], ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4])
local names, servers, leases = P .. 'names', P .. 'servers', P .. 'leases'
local now = chatNow(P, step)
local member = redis.call('SISMEMBER', servers, id)
if member == 1 then renewLease(P, id, now, lease) end
local freed, moved = {}, {}
for _, other in ipairs(redis.call('SMEMBERS', servers)) do
  local ends = tonumber(redis.call('HGET', leases, other))
  if ends == nil or ends < now then
    for _, key in ipairs(redis.call('SMEMBERS', P .. 'server:' .. other)) do
      local v = redis.call('HGET', names, key)
      if holds(v, other) then
        -- Devices of the account on other servers keep it: only its devices there are gone.
        local rest, shown = without(v, other)
        if rest == '' then
          redis.call('HDEL', names, key)
          table.insert(freed, other)
          table.insert(freed, shown)
        else
          redis.call('HSET', names, key, rest)
        end
        moved[#moved + 1] = key
      end
    end
    redis.call('DEL', P .. 'server:' .. other)
    redis.call('SREM', servers, other)
    redis.call('HDEL', leases, other)
    redis.call('HDEL', P .. 'accounts', other)
    redis.call('SET', P .. 'gone:' .. other, '1', 'EX', 86400)
  end
end
changed(P, moved, ARGV[5])
return { member, redis.call('HLEN', names), freed }`;

/**
 * ARGV: P, id, lease in ms, '1' after an outage ('0' at start), settle time in ms, renewal
 * interval in ms, a new epoch (random), the stream's MINID, then KEY, NAME pairs: every user
 * of this server, NAME with a `+` before it for an account that may be held beside other
 * servers (its devices there).
 * Makes Redis hold exactly these names for this server, at start and after an outage.
 * Returns { keys held by another server meanwhile, names back after this server was counted
 * as dead, names this server no longer has (they left during the outage), number of names,
 * the epoch, keys other servers hold devices of too }. The epoch changes only when Redis lost its data: the stream started afresh.
 *
 * After an outage, a missing epoch means Redis restarted without its data: servers come
 * back one by one, and a name registered on the first must not be one a later one's user
 * still holds. So new names wait (CLAIM answers -3) for the settle time.
 */
export const SYNC = `${OWNED}
${HOLDERS}
${CLOCK}
${CHANGED}
local P, id = ARGV[1], ARGV[2]
local names, mine = P .. 'names', P .. 'server:' .. id
if redis.call('SET', P .. 'epoch', ARGV[7], 'NX') and ARGV[4] == '1' then
  redis.call('SET', P .. 'settling', '1', 'PX', ARGV[5])
end
local wasGone = redis.call('EXISTS', P .. 'gone:' .. id) == 1
redis.call('DEL', P .. 'gone:' .. id)
redis.call('SADD', P .. 'servers', id)
renewLease(P, id, chatNow(P, tonumber(ARGV[6])), tonumber(ARGV[3]))
local want, lost, back, stale, moved, shared = {}, {}, {}, {}, {}, {}
for i = 9, #ARGV, 2 do
  local key, display = ARGV[i], ARGV[i + 1]
  local share = string.sub(display, 1, 1) == '+'
  if share then display = string.sub(display, 2) end
  local v = redis.call('HGET', names, key)
  if v and holds(v, id) then
    want[key] = true
    local servers = holders(v)
    if #servers > 1 then shared[#shared + 1] = key end
    redis.call('HSET', names, key, entry(servers, display))
    redis.call('SADD', mine, key)
  elseif v and share then
    -- Held meanwhile by devices of the account elsewhere: ours are devices of it too, and
    -- its servers are told, as by CLAIM (a % frame).
    want[key] = true
    local pairs = {}
    for _, holder in ipairs((holders(v))) do pairs[#pairs + 1] = key .. ' ' .. holder end
    redis.call('XADD', P .. 'stream', 'MINID', '~', ARGV[8], '*', '${FIELD}', id .. ' 1 ' .. table.concat(pairs, ' ') .. '\\n% ' .. key .. ' 0\\n')
    redis.call('HSET', names, key, v .. ' ' .. id)
    redis.call('SADD', mine, key)
    moved[#moved + 1] = key
    shared[#shared + 1] = key
  elseif v then
    table.insert(lost, key)
  else
    want[key] = true
    if wasGone then table.insert(back, display) end
    redis.call('HSET', names, key, id .. ' ' .. display)
    redis.call('SADD', mine, key)
  end
end
for _, key in ipairs(redis.call('SMEMBERS', mine)) do
  if not want[key] then
    local v = redis.call('HGET', names, key)
    if holds(v, id) then
      local rest, shown = without(v, id)
      if rest == '' then
        redis.call('HDEL', names, key)
        table.insert(stale, shown)
      else
        redis.call('HSET', names, key, rest)
      end
      moved[#moved + 1] = key
    end
    redis.call('SREM', mine, key)
  end
end
changed(P, moved, ARGV[8])
return { lost, back, stale, redis.call('HLEN', names), redis.call('GET', P .. 'epoch'), shared }`;

/** ARGV: P, id, the stream's MINID. This server leaves the chat: its names are freed at once, not at lease end. */
export const LEAVE = `${HOLDERS}
${CHANGED}
local P, id = ARGV[1], ARGV[2]
local names, mine = P .. 'names', P .. 'server:' .. id
local moved = {}
for _, key in ipairs(redis.call('SMEMBERS', mine)) do
  local v = redis.call('HGET', names, key)
  if holds(v, id) then
    local rest = without(v, id)
    if rest == '' then redis.call('HDEL', names, key) else redis.call('HSET', names, key, rest) end
    moved[#moved + 1] = key
  end
end
changed(P, moved, ARGV[3])
redis.call('DEL', mine)
redis.call('HDEL', P .. 'leases', id)
redis.call('HDEL', P .. 'accounts', id)
redis.call('SREM', P .. 'servers', id)
return 1`;

/**
 * ARGV: P, the sending server's id, the stream's MINID, the turn's frames as one string (see
 * cluster-message.ts), the number of frames, '1' when some are room messages else '0', then
 * the name keys the user frames (direct messages, removals) are for, each once.
 * Finds those users' servers with one HMGET and adds the frames to the stream as one entry,
 * behind a header line that counts the frames and pairs each key with its server (a name
 * nobody holds is left out; its frames stay in the entry, for no server): one command for a
 * whole turn, and a user's messages stay in the order they were sent. Each user is looked
 * up once however many messages it has in the turn (a hash of up to 128 names is a list
 * Redis reads from the start), and the frames are copied once, never parsed here. Returns one
 * string: the id of the entry added, then for each key, in order, the server that holds it
 * or `-` for no such name, space-separated (one value to read, however many users); the
 * sender remembers those servers (holders.ts). Nothing is added when nothing in the turn
 * reaches anyone, and the id is `-`. `!` alone when the sender is not in the chat: Redis
 * lost its data (a FLUSHALL, a restart without it) or the sender's lease ran out, and
 * whoever is missing from P names may only be waiting to be claimed again.
 */
export const BATCH = `
local P, origin, minid, frames, count = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]
if redis.call('SISMEMBER', P .. 'servers', origin) == 0 then return '!' end
local keys = #ARGV - 6
local header, answers = { origin, count }, {}
local any = ARGV[6] == '1'
if keys > 0 then
  local held = redis.call('HMGET', P .. 'names', unpack(ARGV, 7))
  for i = 1, keys do
    local v = held[i]
    -- A plain find, not a pattern: a pattern tests each character through a class.
    local space = v and string.find(v, ' ', 1, true)
    -- Not in our form (no server id before a space): nobody holds it.
    if space and space > 1 then
      header[#header + 1] = ARGV[6 + i]
      header[#header + 1] = string.sub(v, 1, space - 1)
      answers[i] = header[#header]
      any = true
      -- Devices of the account on other servers (HOLDERS): the frames are theirs too.
      local after = string.find(v, ' ', space + 1, true)
      if after then
        for other in string.gmatch(string.sub(v, after + 1), '%S+') do
          header[#header + 1] = ARGV[6 + i]
          header[#header + 1] = other
          answers[i] = answers[i] .. ',' .. other
        end
      end
    else
      answers[i] = '-'
    end
  end
end
local added = '-'
if any then added = redis.call('XADD', P .. 'stream', 'MINID', '~', minid, '*', '${FIELD}', table.concat(header, ' ') .. '\\n' .. frames) end
return added .. ' ' .. table.concat(answers, ' ')`;
