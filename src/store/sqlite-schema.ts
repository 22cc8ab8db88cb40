import Database from 'better-sqlite3';
import { chmodSync, closeSync, constants, openSync, statSync } from 'node:fs';

/**
 * The SQLite store's tables (docs/storage.md). `PRAGMA user_version` holds the number of the
 * last migration applied, so that a later version adds a migration to MIGRATIONS and an older
 * file is brought up to date when it is opened.
 */
export const MIGRATIONS: readonly string[] = [
  // 1: history, kept messages, bans.
  `CREATE TABLE history (
     id INTEGER PRIMARY KEY,
     room_key TEXT NOT NULL,
     at INTEGER NOT NULL,
     sender TEXT NOT NULL,
     text TEXT NOT NULL
   );
   CREATE INDEX history_by_room ON history (room_key, id);
   -- AUTOINCREMENT: an id is never given twice, so a late remove() cannot take a newer message.
   CREATE TABLE kept (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     to_key TEXT NOT NULL,
     at INTEGER NOT NULL,
     sender TEXT NOT NULL,
     text TEXT NOT NULL
   );
   CREATE INDEX kept_by_account ON kept (to_key, id);
   CREATE TABLE bans (
     name_key TEXT PRIMARY KEY,
     name TEXT NOT NULL,
     banned_by TEXT NOT NULL,
     reason TEXT NOT NULL,
     at INTEGER NOT NULL,
     until INTEGER
   );`,
  // 2: owned rooms (docs/storage.md, "Owned rooms"): each one's state as JSON, with its
  // version and its owner's name key beside it, for saveRoom's compare and ownedRooms' count.
  `CREATE TABLE owned_rooms (
     room_key TEXT PRIMARY KEY,
     owner_key TEXT NOT NULL,
     v INTEGER NOT NULL,
     state TEXT NOT NULL
   );
   CREATE INDEX owned_rooms_by_owner ON owned_rooms (owner_key);`,
  // 3: the catch-up of named devices (docs/storage.md, "Catch-up of named devices"): the
  // direct messages of accounts that named a device, found by account and time, and where
  // each named device was when it left, found by account and time for the bound on marks.
  `CREATE TABLE directs (
     id INTEGER PRIMARY KEY,
     account_key TEXT NOT NULL,
     at INTEGER NOT NULL,
     sender TEXT NOT NULL,
     addressee TEXT NOT NULL,
     text TEXT NOT NULL
   );
   CREATE INDEX directs_by_account ON directs (account_key, at);
   CREATE TABLE device_marks (
     account_key TEXT NOT NULL,
     device_key TEXT NOT NULL,
     at INTEGER NOT NULL,
     rooms TEXT NOT NULL,
     PRIMARY KEY (account_key, device_key)
   );
   CREATE INDEX device_marks_by_time ON device_marks (account_key, at);`,
  // 4: read markers (docs/storage.md, "Read markers"): when each account last read each
  // conversation, found by account and target, and by account and time for the bound.
  `CREATE TABLE read_markers (
     account_key TEXT NOT NULL,
     target_key TEXT NOT NULL,
     at INTEGER NOT NULL,
     PRIMARY KEY (account_key, target_key)
   );
   CREATE INDEX read_markers_by_time ON read_markers (account_key, at);`,
];

export const SCHEMA_VERSION = MIGRATIONS.length;

/** Whether ERR is SQLite's "another connection holds the lock" (SQLITE_BUSY, SQLITE_LOCKED and their extended codes). */
export function isLocked(err: unknown): boolean {
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' && /^SQLITE_(BUSY|LOCKED)/.test(code);
}

/**
 * How long a statement waits for another program's lock: not at all. Statements run on the
 * event loop, and SQLite waits by sleeping: 200 ms a write once froze the whole chat for as
 * long as `sqlite3` held BEGIN IMMEDIATE. A write that finds the file locked is tried again
 * later from a timer (sqlite-store.ts).
 */
const BUSY_TIMEOUT_MS = 0;
/**
 * Opening may wait for a lock, at start only: a `sqlite3 .backup` or a checkpoint of another
 * program holding it a moment must not stop the server from starting.
 */
const OPEN_TIMEOUT_MS = 2000;

/** A database that is sound but not ours to open: its message is for the operator as it is. */
class UnusableDatabase extends Error {}

/**
 * Opens FILE (creating it), in WAL mode, with the tables of SCHEMA_VERSION. Throws an Error
 * that names the file and says what to do when it cannot.
 */
export function openDatabase(file: string, warn: (message: string) => void = () => {}): Database.Database {
  let db: Database.Database | undefined;
  try {
    ownerOnly(file, warn);
    db = new Database(file, { timeout: OPEN_TIMEOUT_MS });
    // WAL: readers (a backup) do not block the writer, and a commit is one append to the log.
    db.pragma('journal_mode = WAL');
    // NORMAL in WAL mode: a crash of the process loses nothing committed; a power cut may lose
    // the last commits, not the database.
    db.pragma('synchronous = NORMAL');
    check(db, file);
    migrate(db, file);
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    return db;
  } catch (err) {
    try {
      db?.close();
    } catch {
      // The error that matters is the one below.
    }
    throw err instanceof UnusableDatabase ? err : openError(file, err);
  }
}

/**
 * Kept direct messages are private: the database is readable by its owner alone. A new file
 * is made 0600 before SQLite opens it, and SQLite gives its -wal and -shm files the mode of
 * the database. An existing file (and its -wal and -shm) that others may read is made 0600,
 * with a warning: it may have been read already.
 */
function ownerOnly(file: string, warn: (message: string) => void): void {
  if (file === ':memory:' || file === '') return;
  try {
    closeSync(openSync(file, constants.O_CREAT | constants.O_EXCL | constants.O_WRONLY, 0o600));
    return;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') return; // SQLite says why it cannot open it
  }
  for (const path of [file, `${file}-wal`, `${file}-shm`]) {
    let mode: number;
    try {
      mode = statSync(path).mode & 0o777;
    } catch {
      continue;
    }
    if ((mode & 0o077) === 0) continue;
    try {
      chmodSync(path, mode & 0o700);
      warn(
        `the database file ${path} was readable by others (mode ${mode.toString(8).padStart(4, '0')}): it is now ${(mode & 0o700).toString(8).padStart(4, '0')}, readable by its owner alone`,
      );
    } catch (err) {
      warn(
        `the database file ${path} is readable by others (mode ${mode.toString(8).padStart(4, '0')}) and could not be changed: ${(err as Error).message}; run chmod 600 ${path}`,
      );
    }
  }
}

/**
 * A file with damaged pages opens, and then every write fails: refused at start instead
 * (PRAGMA quick_check reads every page, about a second per GB).
 */
function check(db: Database.Database, file: string): void {
  const problems = db.pragma('quick_check(3)', { simple: false }) as { quick_check: string }[];
  const found = problems.map((row) => row.quick_check);
  if (found.length > 0 && found[0] !== 'ok') {
    const what = found
      .join('\n')
      .split('\n')
      .filter((line) => line !== '' && !line.startsWith('***'))
      .slice(0, 3)
      .join('; ');
    throw new UnusableDatabase(`cannot use the database ${file}: it is damaged (${what}); restore it from a backup, or name a new file`);
  }
}

function migrate(db: Database.Database, file: string): void {
  const version = db.pragma('user_version', { simple: true }) as number;
  if (version > SCHEMA_VERSION) {
    throw new UnusableDatabase(
      `cannot use the database ${file}: a newer chat-server made it (schema ${version}; this one knows up to ${SCHEMA_VERSION}); run that version or name another file`,
    );
  }
  if (version === 0) {
    const { n } = db.prepare('SELECT count(*) AS n FROM sqlite_schema').get() as { n: number };
    // Creating our tables in some other program's database would mix its data with ours.
    if (n > 0) {
      throw new UnusableDatabase(`cannot use the database ${file}: it is a SQLite database of another program; name a new file or one chat-server made`);
    }
  }
  for (let v = version; v < SCHEMA_VERSION; v++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[v]!);
      db.pragma(`user_version = ${v + 1}`);
    }).immediate();
  }
}

/** What to do about each way opening fails, by SQLite's error code. */
const ADVICE: Record<string, string> = {
  SQLITE_CANTOPEN: 'check that its folder exists and is writable, and that it is a file, not a folder',
  SQLITE_NOTADB: 'it is not a SQLite database: name a new file, or one chat-server made',
  SQLITE_CORRUPT: 'the file is damaged: restore it from a backup, or name a new file',
  SQLITE_READONLY: 'check that the file and its folder are writable',
  SQLITE_PERM: 'check that the file and its folder are writable',
  SQLITE_IOERR: 'the disk failed to read or write it: check the disk and the free space',
  SQLITE_FULL: 'the disk is full: free some space',
  SQLITE_BUSY: 'another program holds it locked: stop that program, or name another file',
};

export function openError(file: string, err: unknown): Error {
  const code = (err as { code?: unknown }).code;
  const message = err instanceof Error ? err.message : String(err);
  // better-sqlite3 checks the folder itself, before SQLite, and throws a TypeError without a code.
  // Its native part missing (an install whose scripts did not run: npm 11 asks for
  // --allow-scripts) or built for another Node is no fault of the file's.
  if (typeof code !== 'string' || code === 'ERR_DLOPEN_FAILED') {
    const advice = /directory does not exist/.test(message)
      ? 'its folder does not exist: create it, or name a file in a folder that exists'
      : /bindings file|NODE_MODULE_VERSION|better_sqlite3\.node|ERR_DLOPEN_FAILED/.test(`${message} ${String(code)}`)
        ? 'the SQLite module (better-sqlite3) is not built for this Node; install again with npm install -g --allow-scripts=better-sqlite3, or run npm rebuild better-sqlite3 where it is installed'
        : 'check the file and its folder';
    return new Error(`cannot open the database ${file}: ${advice}`, { cause: err });
  }
  const base = code.replace(/^(SQLITE_[A-Z]+).*$/, '$1');
  const advice = ADVICE[base] ?? 'check the file and its folder';
  return new Error(`cannot open the database ${file}: ${code} ${message}; ${advice}`, { cause: err });
}
