import type { Redis } from '../redis/ioredis.js';
import { COMMAND_TIMEOUT_MS, connectionOptions, databaseOf, openRedis, redactUrl } from '../redis/connection.js';
import { nameKey } from '../protocol/names.js';
import type { RoomState } from '../protocol/room-state.js';
import { catchupOldest, keptMark, markToKeep, parseJson } from './catchup.js';
import { inForce, sortBans } from './memory-store.js';
import { keptRoom, roomToKeep } from './owned-rooms.js';
import { type Scripts, withScripts } from './redis-scripts.js';
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

/** What a history entry costs in Redis beyond its fields' bytes, about (a stream entry, its id). */
const ENTRY_BYTES = 40;

/** A room's history in Redis is dropped when nobody has spoken there for this long. */
export const HISTORY_IDLE_MS = 30 * 24 * 3600 * 1000;

/** A stream id, as XADD makes them: XDEL refuses anything else. */
const STREAM_ID = /^\d{1,20}-\d{1,20}$/;

type Fields = [string, string][];

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
      this.#redis = openRedis(options.redis, {
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
    withScripts(this.#redis);
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
