import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import Database from 'better-sqlite3';
import { MIGRATIONS, openDatabase, openError, SCHEMA_VERSION } from '../../src/store/sqlite-schema.js';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import type { StoreEvents, StoreLimits } from '../../src/store/store.js';
import { T0 } from '../helpers/fake-clock.js';
import { StoreClock, storeContract } from './contract.js';
import { waitFor } from '../helpers/wait.js';

/** The file of each store a test made, so that reopen() opens the same one. */
const files = new WeakMap<object, string>();

/**
 * What each test must undo, undone newest first by one hook: stores and connections are
 * closed before their folder is removed (t.after hooks run in the order they were added).
 */
const undos = new WeakMap<TestContext, (() => unknown)[]>();

function undo(t: TestContext, fn: () => unknown): void {
  let list = undos.get(t);
  if (list === undefined) {
    const fns: (() => unknown)[] = (list = []);
    undos.set(t, fns);
    t.after(async () => {
      for (const f of fns.reverse()) await f();
    });
  }
  list.push(fn);
}

/** A store on FILE, closed at the end of the test. */
function open(t: TestContext, file: string, limits: Partial<StoreLimits> = {}, clock = new StoreClock(), events: StoreEvents = {}): SqliteStore {
  const store = new SqliteStore(file, limits, clock.now, events);
  files.set(store, file);
  undo(t, () => store.close());
  return store;
}

/** A folder of the test's own, removed when it ends. */
function newDir(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'chat-sqlite-'));
  undo(t, () => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A new database file in a folder of its own. */
function newFile(t: TestContext): string {
  return join(newDir(t), 'chat.db');
}

/** Another connection to FILE, as the sqlite3 shell or a second program would have. */
function peek(t: TestContext, file: string): Database.Database {
  const db = new Database(file, { timeout: 0 });
  undo(t, () => db.close());
  return db;
}

const rows = (db: Database.Database, table: string): number => db.prepare(`SELECT count(*) FROM ${table}`).pluck().get() as number;

/** One turn of the event loop: the store's flush, scheduled before, runs first. */
const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

const line = (text: string, at = new StoreClock().ms) => ({ at, from: 'alice', text });

storeContract({
  make: async (t, limits, clock) => open(t, newFile(t), limits, clock),
  reopen: async (t, store, limits, clock) => {
    await store.close();
    return open(t, files.get(store)!, limits, clock);
  },
});

test('the file is in WAL mode with the current schema number, and a second open finds it as it was', (t) => {
  const file = newFile(t);
  const store = open(t, file);
  store.ban({ name: 'eve', by: 'op', reason: 'spam', at: 1, until: undefined });
  const db = peek(t, file);
  assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
  assert.equal(db.pragma('user_version', { simple: true }), SCHEMA_VERSION);
  db.close();
  void store.close();
  const again = open(t, file);
  assert.equal(again.banOf('EVE', 2)?.reason, 'spam');
});

test('a file that is not a database: an error naming the file and what to do', (t) => {
  const file = newFile(t);
  writeFileSync(file, 'this is no database, just some text that someone left here\n'.repeat(100));
  assert.throws(
    () => new SqliteStore(file),
    (err: Error) => err.message.startsWith(`cannot open the database ${file}: SQLITE_NOTADB`) && /name a new file/.test(err.message),
  );
});

test('a folder that does not exist: an error naming the file and what to do', (t) => {
  const file = join(newDir(t), 'no-such-folder', 'chat.db');
  assert.throws(() => new SqliteStore(file), {
    message: `cannot open the database ${file}: its folder does not exist: create it, or name a file in a folder that exists`,
  });
});

test('a folder given as the file: an error naming it and what to do', (t) => {
  const dir = newDir(t);
  assert.throws(
    () => new SqliteStore(dir),
    (err: Error) =>
      err.message.startsWith(`cannot open the database ${dir}: SQLITE_CANTOPEN`) && /check that its folder exists and is writable/.test(err.message),
  );
});

test('another program’s SQLite database is left alone: an error, and no table of ours in it', (t) => {
  const file = newFile(t);
  const theirs = new Database(file);
  theirs.exec('CREATE TABLE invoices (id INTEGER PRIMARY KEY)');
  theirs.close();
  assert.throws(() => new SqliteStore(file), {
    message: `cannot use the database ${file}: it is a SQLite database of another program; name a new file or one chat-server made`,
  });
  const db = peek(t, file);
  assert.deepEqual(db.prepare("SELECT name FROM sqlite_schema WHERE type = 'table'").pluck().all(), ['invoices']);
});

test('a database from a newer chat-server is not opened (its schema number is higher)', (t) => {
  const file = newFile(t);
  void new SqliteStore(file).close();
  const db = new Database(file);
  db.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
  db.close();
  assert.throws(
    () => new SqliteStore(file),
    (err: Error) => err.message.startsWith(`cannot use the database ${file}: a newer chat-server made it`),
  );
});

test('a file of schema 1 (before owned rooms) opens, keeps what it had, and gains the owned rooms table', (t) => {
  const file = newFile(t);
  const old = new Database(file);
  old.exec(MIGRATIONS[0]!);
  old.pragma('user_version = 1');
  old.prepare('INSERT INTO bans (name_key, name, banned_by, reason, at, until) VALUES (?, ?, ?, ?, ?, NULL)').run('eve', 'Eve', 'op', 'spam', T0);
  old.prepare('INSERT INTO history (room_key, at, sender, text) VALUES (?, ?, ?, ?)').run('dev', T0, 'alice', 'from before');
  old.close();
  const store = open(t, file);
  assert.equal(peek(t, file).pragma('user_version', { simple: true }), SCHEMA_VERSION);
  assert.equal(store.banOf('eve', T0)?.reason, 'spam');
  assert.deepEqual(
    store.history('dev', 10)?.map((e) => e.text),
    ['from before'],
  );
  assert.equal(store.ownedRoom('dev'), undefined);
  store.saveRoom('dev', { v: 1, owner: 'alice', ops: ['alice'] });
  assert.deepEqual(store.ownedRoom('DEV'), { v: 1, owner: 'alice', ops: ['alice'] });
  assert.equal(store.ownedRooms('Alice'), 1);
});

test('a damaged owned room is an error, reported, never "owned by nobody"; a newer state saved over it mends it', (t) => {
  const file = newFile(t);
  const errors: Error[] = [];
  const store = open(t, file, {}, new StoreClock(), { onError: (err) => errors.push(err) });
  store.saveRoom('dev', { v: 2, owner: 'alice', ops: ['alice'], private: true, key: 'sesame' });
  store.saveRoom('ops', { v: 1, owner: 'alice', ops: [] });
  const db = peek(t, file);
  db.prepare('UPDATE owned_rooms SET state = ? WHERE room_key = ?').run('{"v":2,"owner":"alice","ops":["al', 'dev');
  db.prepare('UPDATE owned_rooms SET state = ? WHERE room_key = ?').run('{"v":1,"ops":[]}', 'ops');
  assert.throws(
    () => store.ownedRoom('Dev'),
    /could not read a room's state in the database .*: the kept state of the room dev is damaged: a field is missing, of the wrong type, or holds a control character/,
  );
  assert.throws(() => store.ownedRoom('ops'), /the kept state of the room ops is damaged: it has no owner/);
  assert.equal(errors.length, 2);
  assert.equal(store.ownedRooms('alice'), 2, 'counted by the owner kept beside the JSON');
  store.saveRoom('dev', { v: 1, owner: 'mallory', ops: ['mallory'] });
  assert.equal(store.ownedRooms('mallory'), 0, 'the version beside it still holds off an older state');
  store.saveRoom('dev', { v: 3, owner: 'alice', ops: ['alice'], private: true, key: 'sesame' });
  assert.deepEqual(store.ownedRoom('dev'), { v: 3, owner: 'alice', ops: ['alice'], private: true, key: 'sesame' });
});

test('append() does not touch the disk on the caller’s turn; the next turn writes it', async (t) => {
  const file = newFile(t);
  const writes: number[] = [];
  const store = open(t, file, {}, new StoreClock(), { onWrite: (ms) => writes.push(ms) });
  const db = peek(t, file);
  store.append('dev', line('hello'));
  assert.equal(rows(db, 'history'), 0);
  assert.equal(writes.length, 0);
  await turn();
  assert.equal(rows(db, 'history'), 1);
  assert.equal(writes.length, 1);
  assert.ok(writes[0]! >= 0);
});

test('10,000 appends in one turn are one flush, and each room is trimmed to the limit', async (t) => {
  const file = newFile(t);
  const writes: number[] = [];
  const errors: Error[] = [];
  const store = open(t, file, { history: 100 }, new StoreClock(), { onWrite: (ms) => writes.push(ms), onError: (err) => errors.push(err) });
  for (let i = 0; i < 10_000; i++) store.append(i % 4 === 0 ? 'Quiet' : 'busy', line(`m${i}`, i));
  await turn();
  await turn();
  assert.equal(writes.length, 1);
  assert.deepEqual(errors, []);
  const db = peek(t, file);
  assert.equal(rows(db, 'history'), 200);
  assert.deepEqual(db.prepare('SELECT room_key, count(*) AS n, min(at) AS oldest FROM history GROUP BY room_key ORDER BY room_key').all(), [
    { room_key: 'busy', n: 100, oldest: 9_867 },
    { room_key: 'quiet', n: 100, oldest: 9_600 },
  ]);
  assert.deepEqual(
    store.history('QUIET', 2)?.map((e) => e.text),
    ['m9992', 'm9996'],
  );
  assert.equal(writes.length, 1, 'nothing was left to flush for the read');
});

test('a read flushes first: the store reads its own writes on the same turn', (t) => {
  const writes: number[] = [];
  const store = open(t, newFile(t), {}, new StoreClock(), { onWrite: (ms) => writes.push(ms) });
  store.append('dev', line('one'));
  store.append('dev', line('two'));
  assert.deepEqual(
    store.history('dev', 10)?.map((e) => e.text),
    ['one', 'two'],
  );
  assert.equal(writes.length, 1);
  assert.deepEqual(
    store.history('dev', 1.5)?.map((e) => e.text),
    ['two'],
    'a count that is not whole is rounded down',
  );
  assert.deepEqual(store.history('dev', Number.NaN), []);
});

test('a flush that fails reports to onError, loses only its own rows, and the next one works', async (t) => {
  const file = newFile(t);
  const errors: Error[] = [];
  const writes: number[] = [];
  const store = open(t, file, {}, new StoreClock(), { onError: (err) => errors.push(err), onWrite: (ms) => writes.push(ms) });
  store.append('dev', line('before'));
  await turn();
  // Another program makes every insert fail, as a full disk or a broken file would.
  const db = peek(t, file);
  db.exec("CREATE TRIGGER refuse BEFORE INSERT ON history BEGIN SELECT RAISE(ABORT, 'the disk is on fire'); END");
  store.append('dev', line('lost 1'));
  store.append('dev', line('lost 2'));
  await turn();
  assert.equal(errors.length, 1);
  assert.match(errors[0]!.message, new RegExp(`^2 room message\\(s\\) for the history could not be written to ${file}: .*the disk is on fire`));
  assert.equal(writes.length, 1, 'a failed flush is not a write');
  db.exec('DROP TRIGGER refuse');
  store.append('dev', line('after'));
  await turn();
  assert.deepEqual(
    store.history('dev', 10)?.map((e) => e.text),
    ['before', 'after'],
    'the failed transaction left nothing half written',
  );
  assert.equal(errors.length, 1);
});

test('another program holding the write lock: nothing waits on the event loop, history is held in memory and written once the lock is gone', async (t) => {
  const file = newFile(t);
  const errors: Error[] = [];
  const warnings: string[] = [];
  const store = open(t, file, {}, new StoreClock(), { onError: (err) => errors.push(err), onWarning: (m) => warnings.push(m) });
  assert.ok(store.keep('bob', line('kept before')) === 'kept');
  const [before] = store.kept('bob') ?? [];
  const db = peek(t, file);
  db.exec('BEGIN IMMEDIATE');
  for (let i = 0; i < 3; i++) store.append('dev', line(`while locked ${i}`));
  await turn();
  assert.deepEqual(errors, [], 'a lock is not a failure');
  assert.equal(warnings.length, 1);
  assert.match(warnings[0]!, /is locked by another program: room history is held in memory/);
  // Reads still work while another program writes (WAL), and see what is held.
  assert.deepEqual(
    store.history('dev', 2)?.map((e) => e.text),
    ['while locked 1', 'while locked 2'],
  );
  assert.deepEqual(
    store.kept('bob')?.map((m) => m.text),
    ['kept before'],
    'a login finds its messages',
  );
  store.remove('bob', [before!.id]);
  assert.deepEqual(store.kept('bob'), [], 'delivered once: a second login meanwhile does not get it again');
  assert.equal(store.keep('bob', line('for later')), 'unavailable', 'a keep that cannot be written says so');
  assert.equal(errors.length, 1);
  assert.equal(rows(db, 'history'), 0);
  db.exec('COMMIT');
  await waitFor(() => rows(db, 'history') === 3, 'the held history to be written');
  await waitFor(() => rows(db, 'kept') === 0, 'the delivered message to be removed');
  await waitFor(() => warnings.length === 2, 'the all-clear');
  assert.match(warnings[1]!, /is free again: the history held meanwhile is written/);
  store.append('dev', line('unlocked'));
  assert.deepEqual(
    store.history('dev', 10)?.map((e) => e.text),
    ['while locked 0', 'while locked 1', 'while locked 2', 'unlocked'],
  );
});

test('the store never waits for a lock once open: SQLite would sleep the whole chat; opening does wait a little', (t) => {
  const file = newFile(t);
  open(t, file);
  const db = peek(t, file);
  db.exec('BEGIN IMMEDIATE');
  // The connection the store uses, as openDatabase leaves it: opened under another's lock.
  const own = openDatabase(file);
  undo(t, () => own.close());
  assert.equal(own.pragma('busy_timeout', { simple: true }), 0);
  const second = new SqliteStore(file);
  assert.equal(second.keep('bob', line('x')), 'unavailable');
  db.exec('ROLLBACK');
  void second.close();
});

test('a listener that throws does not take the flush or the process down', async (t) => {
  const store = open(t, newFile(t), {}, new StoreClock(), {
    onWrite: () => {
      throw new Error('a broken metrics listener');
    },
  });
  store.append('dev', line('one'));
  await turn();
  store.append('dev', line('two'));
  await turn();
  assert.deepEqual(
    store.history('dev', 10)?.map((e) => e.text),
    ['one', 'two'],
  );
});

test('what was appended just before close() is there after reopening; close() twice is harmless', async (t) => {
  const file = newFile(t);
  const store = open(t, file);
  store.append('dev', line('last words'));
  store.keep('bob', line('for later'));
  await Promise.all([store.close(), store.close()]);
  await store.close();
  const again = open(t, file);
  assert.deepEqual(
    again.history('dev', 10)?.map((e) => e.text),
    ['last words'],
  );
  assert.deepEqual(
    again.kept('bob')?.map((m) => m.text),
    ['for later'],
  );
});

test('a closed store answers as unavailable, reports it, and ignores appends', async (t) => {
  const errors: Error[] = [];
  const store = open(t, newFile(t), {}, new StoreClock(), { onError: (err) => errors.push(err) });
  await store.close();
  store.append('dev', line('too late'));
  await turn();
  assert.equal(errors.length, 0, 'an append after close is dropped quietly');
  assert.equal(store.history('dev', 10), undefined);
  assert.equal(store.keep('bob', line('x')), 'unavailable');
  // Bans never fail quietly: neither "lifted" nor "not banned" is made up.
  assert.throws(() => store.unban('eve'), /could not lift a ban in the database/);
  assert.throws(() => store.banOf('eve', 0), /could not read a ban in the database/);
  assert.throws(() => store.ban({ name: 'eve', by: 'op', reason: '', at: 0, until: undefined }), /could not write a ban/);
  // Nor are owned rooms: a private room must not open because its state cannot be read.
  assert.throws(() => store.ownedRoom('dev'), /could not read a room's state in the database/);
  assert.throws(() => store.saveRoom('dev', { v: 1, owner: 'alice', ops: [] }), /could not keep a room's state in the database/);
  assert.throws(() => store.ownedRooms('alice'), /could not count the rooms an account owns in the database/);
  assert.equal(errors.length, 8);
  assert.match(errors[0]!.message, /could not read the history in the database .*: The database connection is not open/);
});

test('with history 0 nothing is written', async (t) => {
  const file = newFile(t);
  const writes: number[] = [];
  const store = open(t, file, { history: 0 }, new StoreClock(), { onWrite: (ms) => writes.push(ms) });
  store.append('dev', line('gone'));
  await turn();
  assert.equal(writes.length, 0);
  assert.equal(rows(peek(t, file), 'history'), 0);
});

test('reopened with a smaller history limit, a room shows no more than the new limit', async (t) => {
  const file = newFile(t);
  const store = open(t, file, { history: 10 });
  for (let i = 1; i <= 10; i++) store.append('dev', line(`m${i}`));
  await store.close();
  const smaller = open(t, file, { history: 3 });
  assert.deepEqual(
    smaller.history('dev', 100)?.map((e) => e.text),
    ['m8', 'm9', 'm10'],
  );
  smaller.append('dev', line('m11'));
  await turn();
  assert.equal(rows(peek(t, file), 'history'), 3, 'the next write to the room trims it to the new limit');
});

test('expired kept messages are deleted from the file when met, and when the store opens', async (t) => {
  const file = newFile(t);
  const day = 24 * 3600 * 1000;
  const clock = new StoreClock();
  const store = open(t, file, { offlineMs: day }, clock);
  store.keep('alice', line('old for alice', clock.now()));
  store.keep('bob', line('old for bob', clock.now()));
  clock.ms += day;
  const db = peek(t, file);
  assert.deepEqual(store.kept('alice'), []);
  assert.equal(rows(db, 'kept'), 1, 'alice’s expired message was deleted when read');
  await store.close();
  open(t, file, { offlineMs: day }, clock);
  assert.equal(rows(db, 'kept'), 0, 'bob’s was deleted when the store opened');
});

test('a kept id is never given twice, even after the newest was removed and the store reopened', async (t) => {
  const file = newFile(t);
  const store = open(t, file);
  store.keep('bob', line('one'));
  const [first] = store.kept('bob') ?? [];
  store.remove('bob', [first!.id]);
  const again = open(t, file);
  await store.close();
  again.keep('bob', line('two'));
  const [second] = again.kept('bob') ?? [];
  assert.notEqual(second!.id, first!.id);
  again.remove('bob', [first!.id, '1e3', '-1', '', '99999999999999999999']);
  assert.deepEqual(
    again.kept('bob')?.map((m) => m.text),
    ['two'],
    'a late remove of an old id takes nothing',
  );
  again.remove('alice', [second!.id]);
  assert.deepEqual(
    again.kept('bob')?.map((m) => m.text),
    ['two'],
    'an id removes only its own addressee’s message',
  );
});

test('the database, its -wal and its -shm are readable by their owner alone, whatever the umask', async (t) => {
  const file = newFile(t);
  const umask = process.umask(0o022);
  try {
    const store = open(t, file);
    store.append('lobby', line('a private room'));
    assert.equal(store.keep('bob', line('a kept direct message')), 'kept');
    await turn();
  } finally {
    process.umask(umask);
  }
  for (const path of [file, `${file}-wal`, `${file}-shm`]) assert.equal(statSync(path).mode & 0o777, 0o600, path);
});

test('an existing database that others may read is made 0600, with a warning that says so', async (t) => {
  const file = newFile(t);
  const first = open(t, file);
  first.append('lobby', line('hello'));
  await turn();
  await first.close();
  for (const path of [file, `${file}-wal`, `${file}-shm`]) if (existsSync(path)) chmodSync(path, 0o644);
  const warnings: string[] = [];
  open(t, file, {}, new StoreClock(), { onWarning: (m) => warnings.push(m) });
  assert.equal(statSync(file).mode & 0o777, 0o600);
  assert.match(warnings[0] ?? '', /chat\.db was readable by others \(mode 0644\): it is now 0600/);
});

test('a database with damaged pages is refused at start, saying so, instead of failing at every message', async (t) => {
  const file = newFile(t);
  const store = open(t, file);
  for (let i = 0; i < 400; i++) store.append(`room${i % 7}`, line(`message ${i} ${'x'.repeat(200)}`));
  await turn();
  await store.close();
  const bytes = readFileSync(file);
  assert.ok(bytes.length > 8 * 4096, `${bytes.length} bytes`);
  // Pages 3 to 5 (of 4 KiB): history rows and their index, now noise.
  for (let i = 2 * 4096 + 100; i < 5 * 4096; i++) bytes[i] = (i * 31) & 0xff;
  writeFileSync(file, bytes);
  assert.throws(() => new SqliteStore(file), /cannot (use|open) the database .*damaged.*restore it from a backup, or name a new file/);
});

test('--history-disk: 12 MB of history keeps the file near 4 MiB, the oldest going first; kept messages stay', async (t) => {
  const file = newFile(t);
  const historyDisk = 4 * 1024 * 1024;
  const store = open(t, file, { historyDisk });
  assert.equal(store.keep('bob', line('kept, whatever the history')), 'kept');
  const text = 'x'.repeat(4000);
  for (let i = 0; i < 3000; i++) {
    store.append(`room${i % 50}`, line(`${i} ${text}`));
    if (i % 20 === 19) await turn();
  }
  await turn();
  assert.deepEqual(
    store.history('room49', 1)?.map((e) => e.text.split(' ')[0]),
    ['2999'],
    'the newest is there',
  );
  assert.ok((store.history('room0', 1000)?.length ?? 0) < 60, 'not all 60 of a room are kept');
  assert.equal(
    store.history('room0', 1000)?.some((e) => e.text.startsWith('0 ')),
    false,
    'the oldest went first',
  );
  assert.deepEqual(
    store.kept('bob')?.map((m) => m.text),
    ['kept, whatever the history'],
  );
  await store.close();
  const size = statSync(file).size;
  assert.ok(size <= historyDisk * 1.25, `the file is ${size} bytes`);
  // Opened again with a smaller bound, it is brought under it at once.
  const again = open(t, file, { historyDisk: 1024 * 1024 });
  const db = peek(t, file);
  const used = (db.pragma('page_count', { simple: true }) as number) - (db.pragma('freelist_count', { simple: true }) as number);
  assert.ok(used * 4096 <= 1024 * 1024, `${used} pages used`);
  assert.ok((again.history('room49', 10)?.length ?? 0) > 0, 'the newest stay');
});

const DAY = 24 * 3600 * 1000;
const directTo = (to: string, text: string, at = T0) => ({ at, from: 'bob', to, text });

/** A store on a new file where alice's laptop has left (her direct messages are logged), and a look at its file. */
function aliceMarked(t: TestContext, events: StoreEvents) {
  const file = newFile(t);
  const store = open(t, file, {}, new StoreClock(), events);
  store.markDevice('alice', 'laptop', { at: T0, rooms: ['dev'] });
  return { file, store, db: peek(t, file) };
}

test('a file of schema 2 (before catch-up) opens, keeps what it had, and gains the catch-up tables', (t) => {
  const file = newFile(t);
  const old = new Database(file);
  old.exec(MIGRATIONS[0]!);
  old.exec(MIGRATIONS[1]!);
  old.pragma('user_version = 2');
  old.prepare('INSERT INTO owned_rooms (room_key, owner_key, v, state) VALUES (?, ?, ?, ?)').run('dev', 'alice', 1, '{"v":1,"owner":"alice","ops":[]}');
  old.close();
  const store = open(t, file);
  assert.equal(peek(t, file).pragma('user_version', { simple: true }), SCHEMA_VERSION);
  assert.deepEqual(store.ownedRoom('dev'), { v: 1, owner: 'alice', ops: [] });
  store.markDevice('alice', 'laptop', { at: T0, rooms: ['dev'] });
  store.logDirect('alice', directTo('alice', 'new'));
  assert.deepEqual(store.directsSince('alice', 0), [directTo('alice', 'new')]);
});

test('a file of schema 3 (before read markers) opens, keeps its catch-up, and gains the read markers table', (t) => {
  const file = newFile(t);
  const old = new Database(file);
  for (const migration of MIGRATIONS.slice(0, 3)) old.exec(migration);
  old.pragma('user_version = 3');
  old.prepare('INSERT INTO device_marks (account_key, device_key, at, rooms) VALUES (?, ?, ?, ?)').run('alice', 'laptop', T0, '["dev"]');
  old.close();
  const store = open(t, file, {}, new StoreClock());
  assert.equal(peek(t, file).pragma('user_version', { simple: true }), 4);
  assert.equal(SCHEMA_VERSION, 4);
  assert.deepEqual(store.deviceMark('alice', 'laptop'), { at: T0, rooms: ['dev'] });
  assert.equal(store.setReadMarker('Alice', '#Dev', T0), T0);
  assert.deepEqual(peek(t, file).prepare('SELECT account_key, target_key, at FROM read_markers').all(), [{ account_key: 'alice', target_key: '#dev', at: T0 }]);
});

test('read markers: a damaged time (written by hand) is an error, reported, not a marker', (t) => {
  const file = newFile(t);
  const errors: Error[] = [];
  const store = open(t, file, {}, new StoreClock(), { onError: (e) => errors.push(e) });
  store.setReadMarker('alice', 'bob', T0);
  peek(t, file).prepare("UPDATE read_markers SET at = 'soon'").run();
  assert.throws(() => store.readMarker('alice', 'bob'), /could not read a read marker .*the kept read marker bob is damaged/);
  assert.equal(errors.length, 1);
});

test('catch-up: logged direct messages are written once a turn, with the room messages, in one transaction', async (t) => {
  const writes: number[] = [];
  const { store, db } = aliceMarked(t, { onWrite: (ms) => writes.push(ms) });
  store.logDirect('alice', directTo('alice', 'one'));
  store.append('dev', line('a room message'));
  store.logDirect('Alice', directTo('alice', 'two'));
  store.logDirect('bob', directTo('alice', 'bob has no mark'));
  assert.equal(rows(db, 'directs'), 0, 'not on the caller’s turn');
  await turn();
  assert.equal(writes.length, 1);
  assert.deepEqual(db.prepare('SELECT account_key, sender, addressee, text FROM directs ORDER BY id').all(), [
    { account_key: 'alice', sender: 'bob', addressee: 'alice', text: 'one' },
    { account_key: 'alice', sender: 'bob', addressee: 'alice', text: 'two' },
  ]);
  assert.equal(rows(db, 'history'), 1);
});

test('catch-up: what ran out is deleted from the file when met and when the store opens; opened with catchupMs 0, all of it', async (t) => {
  const file = newFile(t);
  const clock = new StoreClock();
  const store = open(t, file, { catchupMs: DAY }, clock);
  for (const account of ['alice', 'bob', 'carol']) {
    store.markDevice(account, 'laptop', { at: T0, rooms: [] });
    store.logDirect(account, directTo(account, `for ${account}`));
  }
  clock.ms += DAY / 2;
  store.markDevice('carol', 'phone', { at: clock.now(), rooms: [] });
  store.logDirect('carol', directTo('carol', 'later for carol', clock.now()));
  store.directsSince('carol', 0);
  clock.ms = T0 + DAY;
  const db = peek(t, file);
  assert.deepEqual(store.directsSince('alice', 0), []);
  assert.equal(rows(db, 'directs'), 3, 'alice’s was deleted when read');
  await store.close();
  open(t, file, { catchupMs: DAY }, clock);
  assert.deepEqual(db.prepare('SELECT text FROM directs').pluck().all(), ['later for carol'], 'bob’s and carol’s old one when the store opened');
  assert.deepEqual(db.prepare('SELECT account_key, device_key FROM device_marks').all(), [{ account_key: 'carol', device_key: 'phone' }]);
  open(t, file, { catchupMs: 0 }, clock);
  assert.equal(rows(db, 'directs'), 0, '--catchup-days 0: nothing is kept');
  assert.equal(rows(db, 'device_marks'), 0);
});

test('catch-up while another program holds the lock: logged messages are held, seen by directsSince, and written once it is gone', async (t) => {
  const errors: Error[] = [];
  const { store, db } = aliceMarked(t, { onError: (err) => errors.push(err) });
  db.exec('BEGIN IMMEDIATE');
  store.logDirect('alice', directTo('alice', 'while locked'));
  store.logDirect('bob', directTo('bob', 'bob has no mark'));
  await turn();
  assert.deepEqual(store.directsSince('ALICE', 0), [directTo('alice', 'while locked')]);
  assert.deepEqual(store.directsSince('bob', 0), []);
  assert.deepEqual(store.deviceMark('alice', 'laptop'), { at: T0, rooms: ['dev'] }, 'marks are read while another program writes');
  assert.throws(() => store.markDevice('alice', 'phone', { at: T0, rooms: [] }), /could not remember where a device left in the database/);
  db.exec('COMMIT');
  await waitFor(() => rows(db, 'directs') === 1, 'the held message to be written');
  assert.deepEqual(store.directsSince('alice', 0), [directTo('alice', 'while locked')], 'once, not also from what was held');
  assert.equal(errors.length, 1);
});

test('catch-up: a failed write names what was lost; a damaged mark is an error, reported; a closed store answers as unavailable', async (t) => {
  const errors: Error[] = [];
  const { store, db } = aliceMarked(t, { onError: (err) => errors.push(err) });
  db.exec("CREATE TRIGGER refuse BEFORE INSERT ON directs BEGIN SELECT RAISE(ABORT, 'the disk is on fire'); END");
  store.logDirect('alice', directTo('alice', 'lost'));
  store.append('dev', line('lost with it'));
  await turn();
  assert.match(
    errors[0]?.message ?? '',
    /^1 room message\(s\) for the history and 1 direct message\(s\) for the catch-up log could not be written to .*the disk is on fire/,
  );
  db.prepare('UPDATE device_marks SET rooms = ?').run('["dev", "#not a room"]');
  assert.throws(
    () => store.deviceMark('alice', 'laptop'),
    /could not read where a device left in the database .*: the kept mark of the device laptop is damaged: one of its rooms is not a room name/,
  );
  db.prepare('UPDATE device_marks SET rooms = ?').run('["dev"');
  assert.throws(() => store.deviceMark('alice', 'laptop'), /is damaged: its rooms are not a list/);
  assert.equal(errors.length, 3);
  await store.close();
  store.logDirect('alice', directTo('alice', 'too late'));
  assert.equal(store.directsSince('alice', 0), undefined);
  assert.throws(() => store.markDevice('alice', 'laptop', { at: T0, rooms: [] }), /could not remember where a device left/);
  assert.throws(() => store.deviceMark('alice', 'laptop'), /could not read where a device left/);
});

test("better-sqlite3's native part missing or built for another Node: the advice is to build it, not to check the file", () => {
  const missing = new Error(
    'Could not locate the bindings file. Tried:\n → /usr/lib/node_modules/tcp-chat/node_modules/better-sqlite3/build/better_sqlite3.node',
  );
  assert.match(
    openError('/var/lib/chat-server/chat.db', missing).message,
    /^cannot open the database \/var\/lib\/chat-server\/chat\.db: the SQLite module \(better-sqlite3\) is not built for this Node; install again with npm install -g --allow-scripts=better-sqlite3/,
  );
  const other = Object.assign(new Error('The module was compiled against a different Node.js version using NODE_MODULE_VERSION 127.'), {
    code: 'ERR_DLOPEN_FAILED',
  });
  assert.match(openError('chat.db', other).message, /not built for this Node/);
  assert.match(openError('chat.db', new TypeError('Cannot open database because the directory does not exist')).message, /its folder does not exist/);
});
