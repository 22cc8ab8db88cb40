import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { claimPath, LOCK_WAIT_MS, LockBusyError, takeLock, waitForLock, withLock } from '../../src/accounts/lock-file.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { tempDir } from '../helpers/users.js';

/** A pid nobody has any more. */
function deadPid(): number {
  return spawnSync(process.execPath, ['-e', '']).pid!;
}

test('a free lock is taken whole (pid and nonce) and released; nothing else is left', (t) => {
  const dir = tempDir(t);
  const lock = join(dir, 'users.lock');
  const held = takeLock(lock);
  assert.match(readFileSync(lock, 'utf8'), new RegExp(`^${process.pid}\\n[\\w-]+\\n$`));
  assert.deepEqual(readdirSync(dir), ['users.lock'], 'the candidate was linked and removed');
  held.release();
  assert.deepEqual(readdirSync(dir), []);
});

test('a lock held by a running process is not taken', (t) => {
  const lock = join(tempDir(t), 'users.lock');
  writeFileSync(lock, `${process.ppid}\nnonce\n`);
  assert.throws(
    () => takeLock(lock),
    (err: Error) => err instanceof LockBusyError && err.pid === process.ppid,
  );
  writeFileSync(lock, ''); // being written by an older passwd: not ours to judge
  assert.throws(() => takeLock(lock), LockBusyError);
});

test('a stale lock is taken over; a takeover under way is waited for; a stale takeover is taken over too', (t) => {
  const dir = tempDir(t);
  const lock = join(dir, 'users.lock');
  const stale = `${deadPid()}\nold\n`;
  writeFileSync(lock, stale);
  // Another passwd, still running, holds the claim on this stale lock: it is taking it over.
  writeFileSync(claimPath(lock, stale), `${process.ppid}\nclaim\n`);
  assert.throws(
    () => takeLock(lock),
    (err: Error) => err instanceof LockBusyError && err.lock === lock && err.pid === process.ppid,
  );
  assert.equal(readFileSync(lock, 'utf8'), stale, 'the stale lock is left to the claim holder');
  // That passwd was killed mid-takeover: its claim is stale, and taken over in turn.
  writeFileSync(claimPath(lock, stale), `${deadPid()}\nclaim\n`);
  const held = takeLock(lock);
  assert.match(readFileSync(lock, 'utf8'), new RegExp(`^${process.pid}\\n`));
  assert.deepEqual(readdirSync(dir), ['users.lock'], 'claims given back, candidates removed');
  held.release();
});

test("a lock left by an earlier run with our own pid (a container's pid 1) is stale", (t) => {
  const lock = join(tempDir(t), 'users.lock');
  writeFileSync(lock, `${process.pid}\n`);
  takeLock(lock).release();
});

test('release never removes a lock that is no longer ours', (t) => {
  const lock = join(tempDir(t), 'users.lock');
  const held = takeLock(lock);
  writeFileSync(lock, `${process.ppid}\nsomeone else\n`); // taken over by a person or a bug
  held.release();
  assert.equal(readFileSync(lock, 'utf8'), `${process.ppid}\nsomeone else\n`);
});

test('waitForLock takes a lock once its holder lets go, and gives up after LOCK_WAIT_MS', async (t) => {
  const lock = join(tempDir(t), 'users.lock');
  const clock = new FakeClock();
  /** Moves the clock on, then lets the waiting one try again. */
  const tick = async (ms: number): Promise<void> => {
    clock.advance(ms);
    await new Promise((resolve) => setImmediate(resolve));
  };
  writeFileSync(lock, `${process.ppid}\nanother passwd\n`);
  const waiting = waitForLock(lock, clock);
  for (let waited = 0; waited < LOCK_WAIT_MS / 2; waited += 100) await tick(100);
  rmSync(lock);
  await tick(100);
  (await waiting).release();

  writeFileSync(lock, `${process.ppid}\nanother passwd\n`);
  const refused = waitForLock(lock, clock).then(
    () => undefined,
    (err: unknown) => err,
  );
  for (let waited = 0; waited <= LOCK_WAIT_MS; waited += 100) await tick(100);
  const err = await refused;
  assert.ok(err instanceof LockBusyError && err.pid === process.ppid, String(err));
  assert.equal(readFileSync(lock, 'utf8'), `${process.ppid}\nanother passwd\n`, 'the holder keeps it');
});

test('withLock runs its work holding the lock, in the turn it is taken, then lets go, even when the work throws', async (t) => {
  const lock = join(tempDir(t), 'users.lock');
  assert.equal(await withLock(lock, () => readFileSync(lock, 'utf8').startsWith(`${process.pid}\n`)), true);
  assert.ok(!existsSync(lock));
  await assert.rejects(
    withLock(lock, () => {
      throw new Error('disk on fire');
    }),
    /disk on fire/,
  );
  assert.ok(!existsSync(lock));
});
