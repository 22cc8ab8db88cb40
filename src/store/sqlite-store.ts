import type Database from 'better-sqlite3';
import { nameKey } from '../protocol/names.js';
import { sortBans } from './memory-store.js';
import { openDatabase } from './sqlite-schema.js';
import { DEFAULT_STORE_LIMITS, type Ban, type HistoryEntry, type Keep, type KeptMessage, type Store, type StoreEvents, type StoreLimits } from './store.js';

interface QueuedRow {
  roomKey: string;
  entry: HistoryEntry;
}

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
    insertKept: db.prepare<[string, number, string, string]>('INSERT INTO kept (to_key, at, sender, text) VALUES (?, ?, ?, ?)'),
    kept: db.prepare<[string], { id: number; at: number; from: string; text: string }>('SELECT id, at, sender AS "from", text FROM kept WHERE to_key = ? ORDER BY id'),
    removeKept: db.prepare<[number, string]>('DELETE FROM kept WHERE id = ? AND to_key = ?'),
    ban: db.prepare<[string, string, string, string, number, number | null]>(
      'INSERT OR REPLACE INTO bans (name_key, name, banned_by, reason, at, until) VALUES (?, ?, ?, ?, ?, ?)',
    ),
    unban: db.prepare<[string]>('DELETE FROM bans WHERE name_key = ?'),
    banOf: db.prepare<[string, number], BanRow>('SELECT name, banned_by, reason, at, until FROM bans WHERE name_key = ? AND (until IS NULL OR until > ?)'),
    bans: db.prepare<[number], BanRow>('SELECT name, banned_by, reason, at, until FROM bans WHERE until IS NULL OR until > ?'),
  };
}

const toBan = (row: BanRow): Ban => ({ name: row.name, by: row.banned_by, reason: row.reason, at: row.at, until: row.until ?? undefined });

/**
 * The store behind --db: history, kept messages and bans in one SQLite file that outlives the
 * process (docs/storage.md). better-sqlite3 is synchronous, so every answer is a plain value.
 *
 * Room messages are the hot path: append() only queues, and one flush per event-loop turn
 * writes all of that turn's rows in one transaction, so the message path never waits on the
 * disk one row at a time. Every other call first flushes the queue, so the store reads its own
 * writes in order.
 *
 * After construction nothing throws: a failed write or read goes to events.onError and the
 * call answers as an unavailable store does (undefined, 'unavailable', false).
 */
export class SqliteStore implements Store {
  readonly limits: StoreLimits;
  readonly #db: Database.Database;
  readonly #sql: ReturnType<typeof prepare>;
  readonly #writeRows: (rows: QueuedRow[]) => void;
  readonly #keep: (key: string, entry: HistoryEntry) => Keep;
  readonly #kept: (key: string) => KeptMessage[];
  readonly #remove: (key: string, ids: readonly string[]) => void;
  #queue: QueuedRow[] = [];
  #flushSoon: NodeJS.Immediate | undefined;
  #closed = false;

  constructor(
    readonly file: string,
    limits: Partial<StoreLimits> = {},
    private readonly now: () => number = Date.now,
    private readonly events: StoreEvents = {},
  ) {
    const defined = Object.fromEntries(Object.entries(limits).filter(([, v]) => v !== undefined));
    this.limits = { ...DEFAULT_STORE_LIMITS, ...defined };
    this.#db = openDatabase(file);
    try {
      this.#sql = prepare(this.#db);
      // Accounts that never come back would keep their expired messages on disk for ever.
      this.#sql.dropAllExpired.run(this.#expiredAt());
    } catch (err) {
      this.#db.close();
      throw new Error(`cannot use the database ${file}: ${describe(err)}; check the file, or name a new one`, { cause: err });
    }
    const sql = this.#sql;

    this.#writeRows = this.#db.transaction((rows: QueuedRow[]) => {
      const rooms = new Set<string>();
      for (const { roomKey, entry } of rows) {
        sql.insertHistory.run(roomKey, entry.at, entry.from, entry.text);
        rooms.add(roomKey);
      }
      for (const room of rooms) sql.trimHistory.run({ room, keep: this.limits.history });
    });

    this.#keep = this.#db.transaction((key: string, entry: HistoryEntry): Keep => {
      sql.dropExpired.run(key, this.#expiredAt());
      if ((sql.countKept.get(key) ?? 0) >= this.limits.offlineMax) return 'full';
      sql.insertKept.run(key, entry.at, entry.from, entry.text);
      return 'kept';
    });

    this.#kept = this.#db.transaction((key: string): KeptMessage[] => {
      sql.dropExpired.run(key, this.#expiredAt());
      return sql.kept.all(key).map((row) => ({ id: String(row.id), at: row.at, from: row.from, text: row.text }));
    });

    this.#remove = this.#db.transaction((key: string, ids: readonly string[]) => {
      for (const id of ids) if (/^[0-9]{1,15}$/.test(id)) sql.removeKept.run(Number(id), key);
    });
  }

  /** Kept messages at or before this time have run out (the memory store keeps `at > now - offlineMs`). */
  #expiredAt(): number {
    return this.now() - this.limits.offlineMs;
  }

  append(room: string, entry: HistoryEntry): void {
    if (this.#closed || this.limits.history <= 0) return;
    this.#queue.push({ roomKey: nameKey(room), entry: { at: entry.at, from: entry.from, text: entry.text } });
    this.#flushSoon ??= setImmediate(() => {
      this.#flushSoon = undefined;
      this.#flush();
    });
  }

  /** Writes the queued room messages in one transaction; never throws. */
  #flush(): void {
    if (this.#queue.length === 0) return;
    const rows = this.#queue;
    this.#queue = [];
    const started = performance.now();
    try {
      this.#writeRows(rows);
    } catch (err) {
      // The messages were delivered already; only their history is lost, and retrying a disk
      // that fails would only grow the queue.
      this.#report(new Error(`${rows.length} room message(s) could not be written to the history in ${this.file}: ${describe(err)}`, { cause: err }));
      return;
    }
    const ms = performance.now() - started;
    this.#tell(() => this.events.onWrite?.(ms));
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
    return this.#run('read the history', () => this.#sql.history.all(nameKey(room), count).reverse(), undefined);
  }

  keep(to: string, entry: HistoryEntry): Keep {
    return this.#run('keep a message', () => this.#keep(nameKey(to), entry), 'unavailable');
  }

  kept(to: string): KeptMessage[] | undefined {
    return this.#run('read the kept messages', () => this.#kept(nameKey(to)), undefined);
  }

  remove(to: string, ids: readonly string[]): void {
    this.#run('remove kept messages', () => this.#remove(nameKey(to), ids), undefined);
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

  async close(): Promise<void> {
    if (this.#closed) return;
    if (this.#flushSoon !== undefined) clearImmediate(this.#flushSoon);
    this.#flushSoon = undefined;
    this.#flush();
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

function describe(err: unknown): string {
  const code = (err as { code?: unknown }).code;
  const message = err instanceof Error ? err.message : String(err);
  return typeof code === 'string' && !message.includes(code) ? `${code} ${message}` : message;
}
