import type Database from 'better-sqlite3';
import { nameKey } from '../protocol/names.js';
import { ownString } from '../protocol/own-string.js';
import type { RoomState } from '../protocol/room-state.js';
import { catchupOldest, keptMark, type MarkToKeep, markToKeep, parseJson } from './catchup.js';
import { sortBans } from './memory-store.js';
import { keptRoom, roomToKeep } from './owned-rooms.js';
import { keptMarker, type MarkerKeys, markerKeys } from './read-markers.js';
import { isLocked, openDatabase } from './sqlite-schema.js';
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

/** A room message for ROOMKEY's history, or a direct message for the catch-up log of ACCOUNT (a key). */
type QueuedRow = { roomKey: string; entry: HistoryEntry } | { account: string; entry: DirectEntry };

/** ROW with strings of its own: a view into the read it came in would keep all of it (own-string.ts). */
function owned(row: QueuedRow): QueuedRow {
  const { at, from, text } = row.entry;
  const entry = { at, from: ownString(from), text: ownString(text) };
  if ('roomKey' in row) return { roomKey: ownString(row.roomKey), entry };
  return { account: ownString(row.account), entry: { ...entry, to: ownString(row.entry.to) } };
}

/** Rows #bound deletes at most in one turn: a few milliseconds of the event loop. */
const BOUND_BATCH = 2000;
/** What a row costs in the file beyond its text: its id, time, room key and index entry, about. */
const ROW_BYTES = 64;
/** While another program holds the file locked, writes are tried again this often. */
export const LOCKED_RETRY_MS = 250;
/**
 * Room messages held in memory while the file is locked, at most: past it the oldest are
 * dropped from history (they were delivered already), as a full disk would.
 */
export const LOCKED_HELD_MAX = 10_000;

interface BanRow {
  name: string;
  banned_by: string;
  reason: string;
  at: number;
  until: number | null;
}

/** Every statement the store runs, prepared once when it opens. */
function prepare(db: Database.Database) {
  return {
    insertHistory: db.prepare<[string, number, string, string]>('INSERT INTO history (room_key, at, sender, text) VALUES (?, ?, ?, ?)'),
    // The id `keep` rows back from the newest, found by walking the (room_key, id) index; NULL
    // (nothing deleted) while the room holds no more than `keep`.
    trimHistory: db.prepare<[{ room: string; keep: number }]>(
      'DELETE FROM history WHERE room_key = @room AND id <= (SELECT id FROM history WHERE room_key = @room ORDER BY id DESC LIMIT 1 OFFSET @keep)',
    ),
    history: db.prepare<[string, number], HistoryEntry>('SELECT at, sender AS "from", text FROM history WHERE room_key = ? ORDER BY id DESC LIMIT ?'),
    dropExpired: db.prepare<[string, number]>('DELETE FROM kept WHERE to_key = ? AND at <= ?'),
    dropAllExpired: db.prepare<[number]>('DELETE FROM kept WHERE at <= ?'),
    countKept: db.prepare<[string], number>('SELECT count(*) FROM kept WHERE to_key = ?').pluck(),
    // Names are ASCII (names.ts): SQLite's lower() is nameKey().
    countKeptFrom: db.prepare<[string, string], number>('SELECT count(*) FROM kept WHERE to_key = ? AND lower(sender) = ?').pluck(),
    insertKept: db.prepare<[string, number, string, string]>('INSERT INTO kept (to_key, at, sender, text) VALUES (?, ?, ?, ?)'),
    kept: db.prepare<[string], { id: number; at: number; from: string; text: string }>(
      'SELECT id, at, sender AS "from", text FROM kept WHERE to_key = ? ORDER BY id',
    ),
    removeKept: db.prepare<[number, string]>('DELETE FROM kept WHERE id = ? AND to_key = ?'),
    ban: db.prepare<[string, string, string, string, number, number | null]>(
      'INSERT OR REPLACE INTO bans (name_key, name, banned_by, reason, at, until) VALUES (?, ?, ?, ?, ?, ?)',
    ),
    unban: db.prepare<[string]>('DELETE FROM bans WHERE name_key = ?'),
    banOf: db.prepare<[string, number], BanRow>('SELECT name, banned_by, reason, at, until FROM bans WHERE name_key = ? AND (until IS NULL OR until > ?)'),
    bans: db.prepare<[number], BanRow>('SELECT name, banned_by, reason, at, until FROM bans WHERE until IS NULL OR until > ?'),
    ownedRoom: db.prepare<[string], string>('SELECT state FROM owned_rooms WHERE room_key = ?').pluck(),
    // Kept unless the row there has a version as new or newer: the compare is SQLite's, in the write.
    saveRoom: db.prepare<[string, string, number, string]>(
      `INSERT INTO owned_rooms (room_key, owner_key, v, state) VALUES (?, ?, ?, ?)
       ON CONFLICT (room_key) DO UPDATE SET owner_key = excluded.owner_key, v = excluded.v, state = excluded.state WHERE excluded.v > owned_rooms.v`,
    ),
    ownedRooms: db.prepare<[string], number>('SELECT count(*) FROM owned_rooms WHERE owner_key = ?').pluck(),
    // Pages the file uses (the free ones are reused before it grows): what --history-disk bounds.
    usedPages: db.prepare<[], number>('SELECT page_count - freelist_count FROM pragma_page_count(), pragma_freelist_count()').pluck(),
    pageSize: db.prepare<[], number>('SELECT page_size FROM pragma_page_size()').pluck(),
    historyRows: db.prepare<[], number>('SELECT count(*) FROM history').pluck(),
    dropOldestHistory: db.prepare<[number]>('DELETE FROM history WHERE id IN (SELECT id FROM history ORDER BY id LIMIT ?)'),
    // An account has a mark still fresh: only then is its direct message logged (Store.logDirect).
    marked: db.prepare<[string, number], number>('SELECT 1 FROM device_marks WHERE account_key = ? AND at > ? LIMIT 1').pluck(),
    insertDirect: db.prepare<[string, number, string, string, string]>('INSERT INTO directs (account_key, at, sender, addressee, text) VALUES (?, ?, ?, ?, ?)'),
    // All but the newest `keep`, walking the (account_key, at) index backwards.
    trimDirects: db.prepare<[{ account: string; keep: number }]>(
      'DELETE FROM directs WHERE id IN (SELECT id FROM directs WHERE account_key = @account ORDER BY at DESC, id DESC LIMIT -1 OFFSET @keep)',
    ),
    directsSince: db.prepare<[string, number], DirectEntry>(
      'SELECT at, sender AS "from", addressee AS "to", text FROM directs WHERE account_key = ? AND at > ? ORDER BY at, id',
    ),
    dropExpiredDirects: db.prepare<[string, number]>('DELETE FROM directs WHERE account_key = ? AND at <= ?'),
    dropAllExpiredDirects: db.prepare<[number]>('DELETE FROM directs WHERE at <= ?'),
    markDevice: db.prepare<[string, string, number, string]>(
      `INSERT INTO device_marks (account_key, device_key, at, rooms) VALUES (?, ?, ?, ?)
       ON CONFLICT (account_key, device_key) DO UPDATE SET at = excluded.at, rooms = excluded.rooms`,
    ),
    // The account's marks that ran out, and those past the newest `keep`.
    trimMarks: db.prepare<[{ account: string; oldest: number; keep: number }]>(
      `DELETE FROM device_marks WHERE account_key = @account AND (at <= @oldest OR device_key NOT IN
         (SELECT device_key FROM device_marks WHERE account_key = @account ORDER BY at DESC LIMIT @keep))`,
    ),
    deviceMark: db.prepare<[string, string, number], { at: number; rooms: string }>(
      'SELECT at, rooms FROM device_marks WHERE account_key = ? AND device_key = ? AND at > ?',
    ),
    dropAllExpiredMarks: db.prepare<[number]>('DELETE FROM device_marks WHERE at <= ?'),
    readMarker: db.prepare<[string, string], unknown>('SELECT at FROM read_markers WHERE account_key = ? AND target_key = ?').pluck(),
    // A marker never moves back: the later of the two stays.
    setReadMarker: db.prepare<[string, string, number]>(
      `INSERT INTO read_markers (account_key, target_key, at) VALUES (?, ?, ?)
       ON CONFLICT (account_key, target_key) DO UPDATE SET at = max(at, excluded.at)`,
    ),
    trimReadMarkers: db.prepare<[{ account: string; keep: number }]>(
      `DELETE FROM read_markers WHERE account_key = @account AND target_key NOT IN
         (SELECT target_key FROM read_markers WHERE account_key = @account ORDER BY at DESC, target_key DESC LIMIT @keep)`,
    ),
  };
}

const toBan = (row: BanRow): Ban => ({ name: row.name, by: row.banned_by, reason: row.reason, at: row.at, until: row.until ?? undefined });

/**
 * The store behind --db: history, kept messages, bans, owned rooms and what named devices
 * catch up on, in one SQLite file that outlives the process (docs/storage.md).
 * better-sqlite3 is synchronous, so every answer is a plain value.
 *
 * Room messages are the hot path: append() only queues, and one flush per event-loop turn
 * writes all of that turn's rows in one transaction, so the message path never waits on the
 * disk one row at a time. Every other call first flushes the queue, so the store reads its own
 * writes in order.
 *
 * After construction a failed write or read goes to events.onError, and the call answers as
 * an unavailable store does (undefined, 'unavailable'); what must not fail quietly (bans,
 * owned rooms) throws as well.
 */
export class SqliteStore implements Store {
  readonly limits: StoreLimits;
  readonly #db: Database.Database;
  readonly #sql: ReturnType<typeof prepare>;
  readonly #writeRows: (rows: QueuedRow[]) => void;
  readonly #keep: (key: string, entry: HistoryEntry) => Keep;
  readonly #kept: (key: string) => KeptMessage[];
  readonly #remove: (key: string, ids: readonly string[]) => void;
  readonly #mark: (mark: MarkToKeep) => void;
  readonly #setMarker: (keys: MarkerKeys, at: number) => number;
  #queue: QueuedRow[] = [];
  #flushSoon: NodeJS.Immediate | undefined;
  /** Bytes of room messages written since the file's size was last checked against historyDisk. */
  #sinceCheck = 0;
  /** Set while another program holds the file locked: the queue is written again then. */
  #retry: NodeJS.Timeout | undefined;
  /** Kept messages delivered whose removal waits for the lock, by account key. */
  #removals: { key: string; ids: readonly string[] }[] = [];
  /** Another program held the file locked at the last write; told once when it starts and ends. */
  #lockedOut = false;
  /** Room messages dropped from the queue while locked, told once the lock is gone. */
  #droppedWhileLocked = 0;
  #closed = false;

  constructor(
    readonly file: string,
    limits: Partial<StoreLimits> = {},
    private readonly now: () => number = Date.now,
    private readonly events: StoreEvents = {},
  ) {
    const defined = Object.fromEntries(Object.entries(limits).filter(([, v]) => v !== undefined));
    this.limits = { ...DEFAULT_STORE_LIMITS, ...defined };
    this.#db = openDatabase(file, (message) => events.onWarning?.(message));
    try {
      this.#sql = prepare(this.#db);
      // Accounts that never come back would keep their expired messages on disk for ever.
      unlessLocked(() => this.#sql.dropAllExpired.run(this.#expiredAt()));
      // The same for catch-up, and with --catchup-days 0 everything logged before goes now.
      unlessLocked(() => {
        const oldest = this.#catchupOldest();
        this.#sql.dropAllExpiredDirects.run(oldest);
        this.#sql.dropAllExpiredMarks.run(oldest);
      });
      // Started again with a smaller --history-disk: the file is brought under it now.
      this.#bound(true);
    } catch (err) {
      this.#db.close();
      throw new Error(`cannot use the database ${file}: ${describe(err)}; check the file, or name a new one`, { cause: err });
    }
    const sql = this.#sql;

    this.#writeRows = this.#db.transaction((rows: QueuedRow[]) => {
      const rooms = new Set<string>();
      /** Whether each account written to has a fresh mark: asked once a flush. */
      const accounts = new Map<string, boolean>();
      const oldest = this.#catchupOldest();
      for (const row of rows) {
        const { at, from, text } = row.entry;
        if ('roomKey' in row) {
          sql.insertHistory.run(row.roomKey, at, from, text);
          rooms.add(row.roomKey);
          continue;
        }
        let marked = accounts.get(row.account);
        if (marked === undefined) accounts.set(row.account, (marked = sql.marked.get(row.account, oldest) !== undefined));
        if (marked) sql.insertDirect.run(row.account, at, from, row.entry.to, text);
      }
      for (const room of rooms) sql.trimHistory.run({ room, keep: this.limits.history });
      for (const [account, marked] of accounts) {
        if (!marked) continue;
        sql.dropExpiredDirects.run(account, oldest);
        sql.trimDirects.run({ account, keep: DIRECT_LOG_MAX });
      }
    });

    this.#keep = this.#db.transaction((key: string, entry: HistoryEntry): Keep => {
      sql.dropExpired.run(key, this.#expiredAt());
      if ((sql.countKept.get(key) ?? 0) >= this.limits.offlineMax) return 'full';
      if ((sql.countKeptFrom.get(key, nameKey(entry.from)) ?? 0) >= senderMax(this.limits)) return 'full from you';
      sql.insertKept.run(key, entry.at, entry.from, entry.text);
      return 'kept';
    });

    // Expired messages are deleted when met, unless another program holds the file locked:
    // then they are only left out, and a login still finds its messages.
    this.#kept = (key: string): KeptMessage[] => {
      const expired = this.#expiredAt();
      unlessLocked(() => sql.dropExpired.run(key, expired));
      // Delivered already, their removal waiting for a lock: not handed out twice.
      const delivered = new Set(this.#removals.filter((r) => r.key === key).flatMap((r) => r.ids));
      return sql.kept
        .all(key)
        .filter((row) => row.at > expired && !delivered.has(String(row.id)))
        .map((row) => ({ id: String(row.id), at: row.at, from: row.from, text: row.text }));
    };

    this.#remove = this.#db.transaction((key: string, ids: readonly string[]) => {
      for (const id of ids) if (/^[0-9]{1,15}$/.test(id)) sql.removeKept.run(Number(id), key);
    });

    this.#mark = this.#db.transaction(({ account, device, at, rooms }: MarkToKeep) => {
      sql.markDevice.run(account, device, at, rooms);
      sql.trimMarks.run({ account, oldest: this.#catchupOldest(), keep: DEVICE_MARKS_MAX });
    });

    this.#setMarker = this.#db.transaction(({ account, target }: MarkerKeys, at: number): number => {
      sql.setReadMarker.run(account, target, at);
      sql.trimReadMarkers.run({ account, keep: READ_MARKERS_MAX });
      return keptMarker(target, sql.readMarker.get(account, target) ?? at);
    });
  }

  /** Logged direct messages and device marks at or before this time have run out (catchup.ts). */
  #catchupOldest(): number {
    return catchupOldest(this.limits, this.now());
  }

  /** Kept messages at or before this time have run out (the memory store keeps `at > now - offlineMs`). */
  #expiredAt(): number {
    return this.now() - this.limits.offlineMs;
  }

  append(room: string, entry: HistoryEntry): void {
    if (this.limits.history <= 0) return;
    this.#enqueue({ roomKey: nameKey(room), entry: { at: entry.at, from: entry.from, text: entry.text } });
  }

  logDirect(account: string, entry: DirectEntry): void {
    if (this.limits.catchupMs <= 0) return;
    this.#enqueue({ account: nameKey(account), entry: { at: entry.at, from: entry.from, to: entry.to, text: entry.text } });
  }

  /** Queues ROW for the flush of this turn (room messages and logged direct messages alike). */
  #enqueue(row: QueuedRow): void {
    if (this.#closed) return;
    if (this.#retry === undefined) this.#queue.push(row);
    else {
      // Held while another program has the file locked: rows of their own (own-string.ts).
      this.#queue.push(owned(row));
      if (this.#queue.length > LOCKED_HELD_MAX) {
        this.#queue.shift();
        this.#droppedWhileLocked++;
      }
    }
    this.#flushSoon ??= setImmediate(() => {
      this.#flushSoon = undefined;
      this.#flush();
    });
  }

  /**
   * Writes the queued room messages in one transaction; never throws. While another program
   * holds the file locked they stay queued, bounded by LOCKED_HELD_MAX, and a timer tries
   * again: the event loop never waits for the lock.
   */
  #flush(): void {
    if (this.#retry !== undefined) return;
    this.#removeWaiting();
    if (this.#queue.length === 0) return;
    const rows = this.#queue;
    this.#queue = [];
    const started = performance.now();
    try {
      this.#writeRows(rows);
    } catch (err) {
      if (isLocked(err)) return this.#locked(rows);
      // The messages were delivered already; only their history is lost, and retrying a disk
      // that fails would only grow the queue.
      this.#report(new Error(`${whatRows(rows)} could not be written to ${this.file}: ${describe(err)}`, { cause: err }));
      return;
    }
    for (const { entry } of rows) this.#sinceCheck += entry.from.length + entry.text.length + ROW_BYTES;
    // Checked now and then, not at every turn: two pragmas are cheap, but not free.
    if (this.#sinceCheck >= Math.min(this.limits.historyDisk / 16, 1024 * 1024)) this.#bound();
    const ms = performance.now() - started;
    this.#tell(() => this.events.onWrite?.(ms));
  }

  /**
   * --history-disk: while the file uses more than historyDisk bytes, the chat's oldest room
   * messages go, down to nine tenths of the bound, so that the next check does not come at
   * once. At most BOUND_BATCH rows a flush: a delete runs on the event loop, and a large
   * file is brought under its bound over several turns (at start, at once). Kept messages
   * and bans are never dropped for it: --offline-max bounds those.
   */
  #bound(atStart = false): void {
    this.#sinceCheck = 0;
    const sql = this.#sql;
    try {
      const pageSize = sql.pageSize.get() ?? 4096;
      const target = this.limits.historyDisk * 0.9;
      for (let round = 0; round < (atStart ? 100_000 : 1); round++) {
        const used = (sql.usedPages.get() ?? 0) * pageSize;
        if (used <= this.limits.historyDisk && (round === 0 || used <= target)) return;
        const rows = sql.historyRows.get() ?? 0;
        if (rows === 0) return;
        // The share of rows to drop, as the share of bytes over the target, at least a tenth.
        const share = Math.max(0.1, (used - target) / used);
        sql.dropOldestHistory.run(Math.min(BOUND_BATCH, Math.max(1, Math.ceil(rows * share))));
      }
      // Still over: the next flush looks again.
      this.#sinceCheck = Infinity;
    } catch (err) {
      if (!isLocked(err))
        this.#report(new Error(`could not drop old history in ${this.file} to keep it under --history-disk: ${describe(err)}`, { cause: err }));
    }
  }

  /** ROWS found the file locked: they go back ahead of what came since, and a timer tries again. */
  #locked(rows: QueuedRow[]): void {
    const first = !this.#lockedOut;
    this.#lockedOut = true;
    // Rows held from before the lock are copied once; those that came during it are copies.
    this.#queue = (first ? rows.map(owned) : rows).concat(this.#queue);
    const over = this.#queue.length - LOCKED_HELD_MAX;
    if (over > 0) {
      this.#queue.splice(0, over);
      this.#droppedWhileLocked += over;
    }
    if (first)
      this.#warn(`the database ${this.file} is locked by another program: room history is held in memory (up to ${LOCKED_HELD_MAX} messages) until it is free`);
    this.#retry ??= setTimeout(() => {
      this.#retry = undefined;
      this.#flush();
      if (this.#retry === undefined && this.#lockedOut && !this.#closed) this.#unlocked();
    }, LOCKED_RETRY_MS).unref();
  }

  /** The lock is gone and what was held is written. */
  #unlocked(): void {
    const dropped = this.#droppedWhileLocked;
    this.#droppedWhileLocked = 0;
    this.#lockedOut = false;
    this.#warn(
      dropped > 0
        ? `the database ${this.file} is free again; ${dropped} message(s) were not written to the history or the catch-up log while it was locked`
        : `the database ${this.file} is free again: the history held meanwhile is written`,
    );
  }

  /** Removes delivered kept messages whose removal found the file locked; they stay queued while it is. */
  #removeWaiting(): void {
    while (this.#removals.length > 0) {
      const { key, ids } = this.#removals[0]!;
      try {
        this.#remove(key, ids);
      } catch (err) {
        if (isLocked(err)) return this.#locked([]);
        this.#report(new Error(`could not remove kept messages in the database ${this.file}: ${describe(err)}`, { cause: err }));
      }
      this.#removals.shift();
    }
  }

  #warn(message: string): void {
    if (this.events.onWarning) this.#tell(() => this.events.onWarning?.(message));
  }

  /** Runs a read or a write on the caller's turn, after what is queued; a failure answers FALLBACK. */
  #run<T, F>(what: string, run: () => T, fallback: F): T | F {
    try {
      return this.#must(what, run);
    } catch {
      return fallback;
    }
  }

  /** The same, for what must not fail quietly (bans): a failure is reported, then thrown. */
  #must<T>(what: string, run: () => T): T {
    this.#flush();
    try {
      return run();
    } catch (err) {
      const error = new Error(`could not ${what} in the database ${this.file}: ${describe(err)}`, { cause: err });
      this.#report(error);
      throw error;
    }
  }

  history(room: string, n: number): HistoryEntry[] | undefined {
    // A smaller --history than when the rows were written: answer as if they had been trimmed.
    const count = Math.min(Math.floor(n), this.limits.history);
    // NaN too: SQLite would refuse it as a LIMIT.
    if (!(count > 0)) return [];
    const key = nameKey(room);
    return this.#run(
      'read the history',
      () => {
        const rows = this.#sql.history.all(key, count).reverse();
        // What waits for a lock is history too: a reader sees it, last.
        const held = this.#queue.flatMap((row) => ('roomKey' in row && row.roomKey === key ? [row.entry] : []));
        return held.length === 0 ? rows : rows.concat(held).slice(-count);
      },
      undefined,
    );
  }

  keep(to: string, entry: HistoryEntry): Keep {
    return this.#run('keep a message', () => this.#keep(nameKey(to), entry), 'unavailable');
  }

  kept(to: string): KeptMessage[] | undefined {
    return this.#run('read the kept messages', () => this.#kept(nameKey(to)), undefined);
  }

  remove(to: string, ids: readonly string[]): void {
    const key = nameKey(to);
    if (this.#closed) return;
    this.#flush();
    if (this.#retry !== undefined) {
      // Locked: removed once it is free, or the owner would get them again at the next login.
      this.#removals.push({ key, ids });
      return;
    }
    try {
      this.#remove(key, ids);
    } catch (err) {
      if (!isLocked(err)) return this.#report(new Error(`could not remove kept messages in the database ${this.file}: ${describe(err)}`, { cause: err }));
      this.#removals.push({ key, ids });
      this.#locked([]);
    }
  }

  ban(ban: Ban): void {
    this.#must('write a ban', () => this.#sql.ban.run(nameKey(ban.name), ban.name, ban.by, ban.reason, ban.at, ban.until ?? null));
  }

  unban(name: string): boolean {
    return this.#must('lift a ban', () => this.#sql.unban.run(nameKey(name)).changes > 0);
  }

  banOf(name: string, now: number): Ban | undefined {
    return this.#must('read a ban', () => {
      const row = this.#sql.banOf.get(nameKey(name), now);
      return row && toBan(row);
    });
  }

  bans(now: number): Ban[] | undefined {
    // Sorted here, not by SQL: the order must be nameKey's, as the memory store's is.
    return this.#run('read the bans', () => sortBans(this.#sql.bans.all(now).map(toBan)), undefined);
  }

  ownedRoom(room: string): RoomState | undefined {
    const key = nameKey(room);
    const json = this.#must("read a room's state", () => this.#sql.ownedRoom.get(key));
    // Damaged: thrown as the store's own failure (owned-rooms.ts says why), and reported.
    return json === undefined ? undefined : this.#must("read a room's state", () => keptRoom(key, json));
  }

  saveRoom(room: string, state: RoomState): void {
    const { room: key, owner, v, json } = roomToKeep(room, state);
    this.#must("keep a room's state", () => this.#sql.saveRoom.run(key, owner, v, json));
  }

  ownedRooms(owner: string): number {
    return this.#must('count the rooms an account owns', () => this.#sql.ownedRooms.get(nameKey(owner)) ?? 0);
  }

  directsSince(account: string, since: number): DirectEntry[] | undefined {
    if (this.limits.catchupMs <= 0) return [];
    const key = nameKey(account);
    return this.#run(
      'read the direct messages logged for catch-up',
      () => {
        const oldest = this.#catchupOldest();
        // Deleted when met, as kept messages are; only left out while the file is locked.
        unlessLocked(() => this.#sql.dropExpiredDirects.run(key, oldest));
        const after = Math.max(since, oldest);
        const rows = this.#sql.directsSince.all(key, after);
        // Held for a lock, and logged once it is gone if the account is still marked: a reader sees them, last.
        const held = this.#queue.flatMap((row) => ('account' in row && row.account === key && row.entry.at > after ? [{ ...row.entry }] : []));
        return held.length === 0 || this.#sql.marked.get(key, oldest) === undefined ? rows : rows.concat(held);
      },
      undefined,
    );
  }

  markDevice(account: string, device: string, mark: DeviceMark): void {
    if (this.limits.catchupMs <= 0) return;
    const kept = markToKeep(account, device, mark);
    this.#must('remember where a device left', () => this.#mark(kept));
  }

  deviceMark(account: string, device: string): DeviceMark | undefined {
    if (this.limits.catchupMs <= 0) return undefined;
    const what = 'read where a device left';
    const row = this.#must(what, () => this.#sql.deviceMark.get(nameKey(account), nameKey(device), this.#catchupOldest()));
    // Damaged: thrown as the store's own failure (catchup.ts), and reported.
    return row && this.#must(what, () => keptMark(device, row.at, parseJson(row.rooms)));
  }

  readMarker(account: string, target: string): number | undefined {
    const keys = markerKeys(account, target);
    const what = 'read a read marker';
    const at = this.#must(what, () => this.#sql.readMarker.get(keys.account, keys.target));
    // Damaged: thrown as the store's own failure (read-markers.ts), and reported.
    return at === undefined ? undefined : this.#must(what, () => keptMarker(keys.target, at));
  }

  setReadMarker(account: string, target: string, at: number): number {
    const keys = markerKeys(account, target, at);
    return this.#must('keep a read marker', () => this.#setMarker(keys, at));
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    if (this.#flushSoon !== undefined) clearImmediate(this.#flushSoon);
    this.#flushSoon = undefined;
    if (this.#retry !== undefined) clearTimeout(this.#retry);
    this.#retry = undefined;
    this.#flush();
    if (this.#retry !== undefined) clearTimeout(this.#retry);
    if (this.#queue.length > 0) this.#report(new Error(`${whatRows(this.#queue)} could not be written to ${this.file}: it is locked by another program`));
    const undone = this.#removals.reduce((n, r) => n + r.ids.length, 0);
    if (undone > 0)
      this.#report(
        new Error(
          `${undone} delivered kept message(s) could not be removed from ${this.file}: it is locked by another program, and they will be delivered again`,
        ),
      );
    this.#closed = true;
    try {
      this.#db.close();
    } catch (err) {
      this.#report(new Error(`could not close the database ${this.file}: ${describe(err)}`, { cause: err }));
    }
  }

  #report(err: Error): void {
    if (this.events.onError) this.#tell(() => this.events.onError?.(err));
    else process.emitWarning(err.message);
  }

  /** Calls back the server; a listener that throws must not take the flush, or the process, down. */
  #tell(fn: () => void): void {
    try {
      fn();
    } catch {
      // Nothing to tell it with: the listener itself is what failed.
    }
  }
}

/** What ROWS hold, for an error: the history's room messages, the catch-up log's direct messages. */
function whatRows(rows: readonly QueuedRow[]): string {
  const rooms = rows.filter((row) => 'roomKey' in row).length;
  const directs = rows.length - rooms;
  const parts = [];
  if (rooms > 0 || directs === 0) parts.push(`${rooms} room message(s) for the history`);
  if (directs > 0) parts.push(`${directs} direct message(s) for the catch-up log`);
  return parts.join(' and ');
}

/** Runs a write that may wait for another time: skipped while another program holds the lock. */
function unlessLocked(write: () => unknown): void {
  try {
    write();
  } catch (err) {
    if (!isLocked(err)) throw err;
  }
}

function describe(err: unknown): string {
  const code = (err as { code?: unknown }).code;
  const message = err instanceof Error ? err.message : String(err);
  return typeof code === 'string' && !message.includes(code) ? `${code} ${message}` : message;
}
