import { Redis } from '../redis/ioredis.js';
import { COMMAND_TIMEOUT_MS, connectionOptions, databaseOf, redactUrl } from '../redis/connection.js';
import { nameKey } from '../protocol/names.js';
import type { RoomState } from '../protocol/room-state.js';
import { catchupOldest, keptMark, markToKeep, parseJson } from './catchup.js';
import { inForce, sortBans } from './memory-store.js';
import { keptRoom, roomToKeep } from './owned-rooms.js';
import { keptMarker, markerKeys } from './read-markers.js';
import { TurnBatch } from './turn-batch.js';
import {
  DEFAULT_STORE_LIMITS,
  DEVICE_MARKS_MAX,
  DIRECT_LOG_MAX,
  READ_MARKERS_MAX,
  senderMax,
  type Ban,
  type DeviceMark,
  type DirectEntry,
  type HistoryEntry,
  type Keep,
  type KeptMessage,
  type Store,
  type StoreEvents,
  type StoreLimits,
} from './store.js';

/**
 * Keys (P is the prefix, "chat:" by default, as the hub's; each database its own):
 *   P history:ROOM   stream: the room's messages (fields at, f, t), trimmed to about the limit
 *   P kept:NAME      stream: messages kept for the account NAME (fields at, f, t); its ids are
 *                    the KeptMessage ids. Expires offlineMs after the last one kept.
 *   P bans           hash: account key -> the ban as JSON
 *   P owned-rooms    hash: room key -> the owned room's state as JSON (RoomState)
 *   P owned-count    hash: account key -> how many rooms it owns (none: the field is gone)
 *   P directs:NAME   stream: the direct messages to and from the account NAME, logged for the
 *                    catch-up of its named devices (fields at, f, to, t); the last
 *                    DIRECT_LOG_MAX. Expires catchupMs after the last one logged.
 *   P devices:NAME   hash: device key -> where NAME's device was when it left ({at, rooms} as JSON)
 *   P device-times:NAME  sorted set: device key, scored by when it left: the bound on marks,
 *                    and whether NAME has a mark at all. Both expire catchupMs after the last mark.
 *   P read-markers:NAME  hash: target key (`#room` or a name) -> when NAME last read it, in ms
 *   P read-marker-times:NAME  sorted set: target key, scored by that time: the bound on markers.
 *                    Neither expires: an account's markers are kept as long as its other state.
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

/** What a history entry costs in Redis beyond its fields' bytes, about (a stream entry, its id). */
const ENTRY_BYTES = 40;

/** A room's history in Redis is dropped when nobody has spoken there for this long. */
export const HISTORY_IDLE_MS = 30 * 24 * 3600 * 1000;

/** A stream id, as XADD makes them: XDEL refuses anything else. */
const STREAM_ID = /^\d{1,20}-\d{1,20}$/;

type Fields = [string, string][];

interface Scripts {
  chatKeep(key: string, ...args: string[]): Promise<number>;
  chatAppend(keys: number, ...keysAndArgs: string[]): Promise<number>;
  chatSaveRoom(rooms: string, counts: string, ...args: string[]): Promise<number>;
  chatMarkDevice(marks: string, times: string, ...args: string[]): Promise<number>;
  chatLogDirects(keys: number, ...keysAndArgs: string[]): Promise<number>;
  chatSetReadMarker(marks: string, times: string, ...args: string[]): Promise<string>;
}

export interface RedisStoreOptions {
  /**
   * A connection (the hub's command connection, shared: the store neither connects nor
   * closes it), or a redis:// URL for a connection of the store's own (see start()).
   */
  redis: Redis | string;
  /** Prefix of every key. Default "chat:", as the hub's. */
  prefix?: string | undefined;
  limits?: Partial<StoreLimits> | undefined;
  now?: (() => number) | undefined;
  events?: StoreEvents | undefined;
}

/**
 * The store of a cluster (--redis): history, kept messages, bans, owned rooms and what named
 * devices catch up on, in Redis, shared by every server. It answers from Redis each time
 * (nothing cached), so a message kept or a ban made on one server is seen on all at once.
 * While Redis is unreachable, reads answer undefined and keep answers 'unavailable' at once
 * (no command waits for Redis to come back; one that gets no answer fails after 2 s, as the
 * hub's); ban, unban, banOf, the owned rooms' calls and markDevice and deviceMark reject.
 */
export class RedisStore implements Store {
  readonly limits: StoreLimits;
  readonly #redis: Redis & Scripts;
  readonly #own: boolean;
  readonly #url: string | undefined;
  readonly #prefix: string;
  readonly #now: () => number;
  readonly #events: StoreEvents;
  /** Room messages of this event-loop turn, sent as one script (append never waits). */
  readonly #history = new TurnBatch<[string, HistoryEntry]>((batch) => this.#writeHistory(batch));
  /** Direct messages of this event-loop turn for the catch-up logs, sent as one script (logDirect never waits). */
  readonly #directs = new TurnBatch<[string, DirectEntry]>((batch) => this.#writeDirects(batch));
  /** A failed write is reported once per outage, not once per message. */
  #failing = false;
  /** Why the connection of our own last failed: start() says it. */
  #lastError = '';

  constructor(options: RedisStoreOptions) {
    const defined = Object.fromEntries(Object.entries(options.limits ?? {}).filter(([, v]) => v !== undefined));
    this.limits = { ...DEFAULT_STORE_LIMITS, ...defined };
    this.#prefix = options.prefix ?? 'chat:';
    this.#now = options.now ?? Date.now;
    this.#events = options.events ?? {};
    if (typeof options.redis === 'string') {
      this.#url = options.redis;
      this.#own = true;
      // Auto-pipelined, as every connection was before the hub's stopped: the commands of
      // one turn share a write (a turn's history appends are one script already, #history).
      this.#redis = new Redis(options.redis, {
        ...connectionOptions('chat-server:store'),
        enableAutoPipelining: true,
        commandTimeout: COMMAND_TIMEOUT_MS,
      }) as Redis & Scripts;
      // ioredis reports every failed reconnect as an error: the failed writes say it once.
      this.#redis.on('error', (err: Error) => (this.#lastError = err.message));
    } else {
      this.#url = undefined;
      this.#own = false;
      this.#redis = options.redis as Redis & Scripts;
    }
    if (typeof this.#redis.chatKeep !== 'function') this.#redis.defineCommand('chatKeep', { numberOfKeys: 1, lua: KEEP });
    if (typeof this.#redis.chatAppend !== 'function') this.#redis.defineCommand('chatAppend', { lua: APPEND });
    if (typeof this.#redis.chatSaveRoom !== 'function') this.#redis.defineCommand('chatSaveRoom', { numberOfKeys: 2, lua: SAVE_ROOM });
    if (typeof this.#redis.chatMarkDevice !== 'function') this.#redis.defineCommand('chatMarkDevice', { numberOfKeys: 2, lua: MARK_DEVICE });
    if (typeof this.#redis.chatLogDirects !== 'function') this.#redis.defineCommand('chatLogDirects', { lua: LOG_DIRECTS });
    if (typeof this.#redis.chatSetReadMarker !== 'function') this.#redis.defineCommand('chatSetReadMarker', { numberOfKeys: 2, lua: SET_READ_MARKER });
  }

  /** Connects a connection of the store's own; rejects, saying what to check, when Redis cannot be used. Nothing for a shared one. */
  async start(): Promise<void> {
    if (!this.#own || this.#redis.status === 'ready') return;
    const url = this.#url ?? '';
    try {
      const db = databaseOf(url);
      if (db === undefined) throw new Error('the database in the URL must be a number');
      await this.#redis.connect();
      // ioredis goes on in database 0 when SELECT fails: another chat's data may live there.
      await this.#redis.select(db);
    } catch (err) {
      this.#redis.disconnect();
      throw new Error(`cannot use Redis at ${redactUrl(url)} for history: ${this.#lastError || (err as Error).message}`);
    }
  }

  #key(kind: 'history' | 'kept' | 'directs' | 'devices' | 'device-times' | 'read-markers' | 'read-marker-times', name: string): string {
    return `${this.#prefix}${kind}:${nameKey(name)}`;
  }

  append(room: string, entry: HistoryEntry): void {
    if (this.limits.history <= 0) return;
    this.#history.push([room, entry]);
  }

  /** Writes a turn's room messages in one script; failures go to onError. */
  #writeHistory(batch: [string, HistoryEntry][]): Promise<void> {
    const p = this.#prefix;
    const keys = [`${p}history-bytes`, `${p}history-total`, `${p}history-rooms`];
    // A room nobody has spoken in for HISTORY_IDLE_MS loses its history, and past
    // --history-disk the chat's oldest messages go: rooms made once and left (a user walking
    // through thousands) do not hold Redis's memory for ever.
    const args = [String(this.limits.history), String(this.limits.historyDisk), String(HISTORY_IDLE_MS), String(ENTRY_BYTES)];
    const index = new Map<string, number>();
    for (const [room, { at, from, text }] of batch) {
      const key = this.#key('history', room);
      let slot = index.get(key);
      if (slot === undefined) {
        keys.push(key);
        slot = keys.length;
        index.set(key, slot);
      }
      args.push(String(slot), String(at), from, text);
    }
    const what = `${batch.length === 1 ? 'a room message' : `${batch.length} room messages`} to the history`;
    return this.#send(what, () => this.#redis.chatAppend(keys.length, ...keys, ...args));
  }

  /** Sends one turn's writes; a failure goes to onError, once per outage, saying WHAT was not written. */
  #send(what: string, write: () => Promise<unknown>): Promise<void> {
    const started = performance.now();
    return write().then(
      () => {
        this.#failing = false;
        this.#events.onWrite?.(performance.now() - started);
      },
      (err: Error) => {
        if (this.#failing) return;
        this.#failing = true;
        this.#events.onError?.(new Error(`could not write ${what} in Redis: ${err.message}`));
      },
    );
  }

  async history(room: string, n: number): Promise<HistoryEntry[] | undefined> {
    const count = Math.min(n, this.limits.history);
    if (count <= 0) return [];
    // This turn's messages go first: a reader sees what was said before it asked.
    void this.#history.flush();
    try {
      const entries = await this.#redis.xrevrange(this.#key('history', room), '+', '-', 'COUNT', count);
      return entries.reverse().map(([, fields]) => toEntry(pairs(fields)));
    } catch {
      return undefined;
    }
  }

  async keep(to: string, entry: HistoryEntry): Promise<Keep> {
    const { offlineMax, offlineMs } = this.limits;
    try {
      const args = [
        String(this.#now() - offlineMs),
        String(offlineMax),
        String(entry.at),
        entry.from,
        entry.text,
        String(offlineMs),
        String(senderMax(this.limits)),
      ];
      const kept = await this.#redis.chatKeep(this.#key('kept', to), ...args);
      return kept === 1 ? 'kept' : kept === 2 ? 'full from you' : 'full';
    } catch {
      return 'unavailable';
    }
  }

  async kept(to: string): Promise<KeptMessage[] | undefined> {
    const oldest = this.#now() - this.limits.offlineMs;
    try {
      const entries = await this.#redis.xrange(this.#key('kept', to), '-', '+');
      return entries.map(([id, fields]) => ({ id, ...toEntry(pairs(fields)) })).filter((m) => m.at > oldest);
    } catch {
      return undefined;
    }
  }

  /** Rejects when Redis is unreachable: the messages stay kept, and are delivered again at the next login. */
  async remove(to: string, ids: readonly string[]): Promise<void> {
    const valid = ids.filter((id) => STREAM_ID.test(id));
    if (valid.length > 0) await this.#redis.xdel(this.#key('kept', to), ...valid);
  }

  logDirect(account: string, entry: DirectEntry): void {
    if (this.limits.catchupMs <= 0) return;
    this.#directs.push([account, entry]);
  }

  /** Writes a turn's direct messages to the catch-up logs in one script; failures go to onError. */
  #writeDirects(batch: [string, DirectEntry][]): Promise<void> {
    const keys: string[] = [];
    const args = [String(catchupOldest(this.limits, this.#now())), String(DIRECT_LOG_MAX), String(this.limits.catchupMs)];
    const index = new Map<string, number>();
    for (const [account, { at, from, to, text }] of batch) {
      let slot = index.get(nameKey(account));
      if (slot === undefined) {
        keys.push(this.#key('directs', account), this.#key('device-times', account));
        slot = keys.length - 1;
        index.set(nameKey(account), slot);
      }
      args.push(String(slot), String(at), from, to, text);
    }
    const what = `${batch.length === 1 ? 'a direct message' : `${batch.length} direct messages`} to the catch-up logs`;
    return this.#send(what, () => this.#redis.chatLogDirects(keys.length, ...keys, ...args));
  }

  async directsSince(account: string, since: number): Promise<DirectEntry[] | undefined> {
    if (this.limits.catchupMs <= 0) return [];
    // This turn's messages go first: a device catching up sees what was sent before it asked.
    void this.#directs.flush();
    const after = Math.max(since, catchupOldest(this.limits, this.#now()));
    try {
      const entries = await this.#redis.xrange(this.#key('directs', account), '-', '+');
      return entries
        .map(([, fields]) => toDirect(pairs(fields)))
        .filter((e) => e.at > after)
        .sort((a, b) => a.at - b.at);
    } catch {
      return undefined;
    }
  }

  async markDevice(account: string, device: string, mark: DeviceMark): Promise<void> {
    if (this.limits.catchupMs <= 0) return;
    const kept = markToKeep(account, device, mark);
    const args = [kept.device, String(kept.at), `{"at":${kept.at},"rooms":${kept.rooms}}`];
    args.push(String(catchupOldest(this.limits, this.#now())), String(DEVICE_MARKS_MAX), String(this.limits.catchupMs));
    await this.#must('where a device left could not be kept in Redis', () =>
      this.#redis.chatMarkDevice(this.#key('devices', account), this.#key('device-times', account), ...args),
    );
  }

  async deviceMark(account: string, device: string): Promise<DeviceMark | undefined> {
    if (this.limits.catchupMs <= 0) return undefined;
    return this.#must('where a device left could not be read in Redis', async () => {
      const json = await this.#redis.hget(this.#key('devices', account), nameKey(device));
      if (json === null) return undefined;
      const mark = parseMark(device, json);
      return mark.at > catchupOldest(this.limits, this.#now()) ? mark : undefined;
    });
  }

  async readMarker(account: string, target: string): Promise<number | undefined> {
    const keys = markerKeys(account, target);
    return this.#must('a read marker could not be read in Redis', async () => {
      const at = await this.#redis.hget(this.#key('read-markers', keys.account), keys.target);
      return at === null ? undefined : keptMarker(keys.target, at);
    });
  }

  async setReadMarker(account: string, target: string, at: number): Promise<number> {
    const keys = markerKeys(account, target, at);
    return this.#must('a read marker could not be kept in Redis', async () =>
      keptMarker(
        keys.target,
        await this.#redis.chatSetReadMarker(
          this.#key('read-markers', keys.account),
          this.#key('read-marker-times', keys.account),
          keys.target,
          String(at),
          String(READ_MARKERS_MAX),
        ),
      ),
    );
  }

  async ban(ban: Ban): Promise<void> {
    const value = JSON.stringify({ ...ban, until: ban.until ?? null });
    await this.#must('the bans in Redis could not be changed', () => this.#redis.hset(this.#bansKey, nameKey(ban.name), value));
  }

  async unban(name: string): Promise<boolean> {
    return (await this.#must('the bans in Redis could not be changed', () => this.#redis.hdel(this.#bansKey, nameKey(name)))) === 1;
  }

  async banOf(name: string, now: number): Promise<Ban | undefined> {
    const value = await this.#must('the bans in Redis could not be read', () => this.#redis.hget(this.#bansKey, nameKey(name)));
    const ban = value === null ? undefined : parseBan(value);
    return ban && inForce(ban, now) ? ban : undefined;
  }

  async bans(now: number): Promise<Ban[] | undefined> {
    try {
      const values = await this.#redis.hvals(`${this.#prefix}bans`);
      return sortBans(values.map(parseBan).filter((b) => inForce(b, now)));
    } catch {
      return undefined;
    }
  }

  async ownedRoom(room: string): Promise<RoomState | undefined> {
    const key = nameKey(room);
    return this.#must("a room's state in Redis could not be read", async () => {
      const json = await this.#redis.hget(`${this.#prefix}owned-rooms`, key);
      return json === null ? undefined : keptRoom(key, json);
    });
  }

  async saveRoom(room: string, state: RoomState): Promise<void> {
    const { room: key, owner, v, json } = roomToKeep(room, state);
    const p = this.#prefix;
    await this.#must("a room's state could not be kept in Redis", () =>
      this.#redis.chatSaveRoom(`${p}owned-rooms`, `${p}owned-count`, key, String(v), owner, json),
    );
  }

  async ownedRooms(owner: string): Promise<number> {
    const what = 'the rooms an account owns could not be counted in Redis';
    const count = await this.#must(what, () => this.#redis.hget(`${this.#prefix}owned-count`, nameKey(owner)));
    const n = Number(count ?? 0);
    if (!Number.isSafeInteger(n) || n < 0) throw new Error(`${what}: the count is damaged (${JSON.stringify(count)})`);
    return n;
  }

  get #bansKey(): string {
    return `${this.#prefix}bans`;
  }

  /** What must not fail quietly (bans, owned rooms): an error that says what failed, for the operator who asked. */
  async #must<T>(what: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (err) {
      throw new Error(`${what}: ${(err as Error).message}`);
    }
  }

  async close(): Promise<void> {
    await Promise.all([this.#history.flush(), this.#directs.flush()]);
    if (!this.#own) return;
    await this.#redis.quit().catch(() => {});
    this.#redis.disconnect();
  }
}

/** A stream entry's flat field list as pairs. */
function pairs(flat: string[]): Fields {
  const out: Fields = [];
  for (let i = 0; i + 1 < flat.length; i += 2) out.push([flat[i]!, flat[i + 1]!]);
  return out;
}

function toEntry(fields: Fields): HistoryEntry {
  const get = (name: string): string => fields.find(([f]) => f === name)?.[1] ?? '';
  return { at: Number(get('at')), from: get('f'), text: get('t') };
}

function toDirect(fields: Fields): DirectEntry {
  return { ...toEntry(fields), to: fields.find(([f]) => f === 'to')?.[1] ?? '' };
}

/** A mark as kept in P devices:NAME: {at, rooms} as JSON, checked (catchup.ts). */
function parseMark(device: string, json: string): DeviceMark {
  const kept = parseJson(json) as { at?: unknown; rooms?: unknown } | null | undefined;
  return keptMark(device, kept?.at, kept?.rooms);
}

function parseBan(value: string): Ban {
  const b = JSON.parse(value) as { name: string; by: string; reason: string; at: number; until: number | null };
  return { name: b.name, by: b.by, reason: b.reason, at: b.at, until: b.until ?? undefined };
}
