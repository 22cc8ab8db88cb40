import { createHash, randomBytes } from 'node:crypto';
import { linkSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import type { Timers } from '../protocol/timers.js';
import { sleep } from './login-throttle.js';

/** The lock is held by a process that is still running (or is being taken over by one). */
export class LockBusyError extends Error {
  constructor(
    readonly lock: string,
    readonly pid: number | undefined,
  ) {
    super(`${lock} is held by ${pid === undefined ? 'another process' : `process ${pid}`}`);
    this.name = 'LockBusyError';
  }
}

export interface HeldLock {
  readonly path: string;
  /** Removes the lock, if it still holds what we wrote (never another process's lock). */
  release(): void;
}

/**
 * How long a writer of the users file waits for another one that holds its lock
 * (`chat-server passwd`, a server answering /passwd). The lock is held only while the file
 * is read, changed and written (a password is asked and hashed before), so two at once
 * both get their turn.
 */
export const LOCK_WAIT_MS = 3000;
const LOCK_RETRY_MS = 25;

/**
 * Timers that keep the process alive while it waits: a CLI has nothing else to do meanwhile
 * (the server's own are unref'd, its sockets keep it running).
 */
const WAITING: Timers = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/**
 * Takes the lock PATH, trying again while it is busy, for up to WAIT_MS; then throws
 * LockBusyError, or what takeLock threw for any other reason (a folder nobody may write).
 * For a process that does nothing else while it holds the lock (`chat-server passwd`).
 */
export function waitForLock(path: string, timers: Timers = WAITING, waitMs = LOCK_WAIT_MS): Promise<HeldLock> {
  return whenLocked(path, timers, waitMs, (lock) => lock);
}

/**
 * Runs WORK holding the lock PATH, taken as waitForLock takes it, and releases it. WORK is
 * synchronous and runs in the very turn the lock is taken: the lock names only the process,
 * so no other work of this process (another /passwd of the server) may run while it is held;
 * it would take a lock with our own pid for one left by an earlier run.
 */
export function withLock<T>(path: string, work: () => T, timers: Timers = WAITING, waitMs = LOCK_WAIT_MS): Promise<T> {
  return whenLocked(path, timers, waitMs, (lock) => {
    try {
      return work();
    } finally {
      lock.release();
    }
  });
}

async function whenLocked<T>(path: string, timers: Timers, waitMs: number, then: (lock: HeldLock) => T): Promise<T> {
  const deadline = timers.now() + waitMs;
  for (;;) {
    let lock: HeldLock;
    try {
      lock = takeLock(path);
    } catch (err) {
      if (!(err instanceof LockBusyError) || timers.now() >= deadline) throw err;
      await sleep(timers, LOCK_RETRY_MS);
      continue;
    }
    return then(lock);
  }
}

/** A stale lock whose takeover is itself taken over this many times is left to a person. */
const MAX_DEPTH = 4;
/** Rounds of "the lock changed under us, look again" before giving up as busy. */
const MAX_ROUNDS = 50;

/**
 * Takes the lock file PATH for this process, or throws LockBusyError when a running process
 * holds it. A lock whose holder is gone (a killed passwd) is taken over.
 *
 * A lock file holds "PID\nNONCE\n"; the nonce makes every holding unique, so a lock that was
 * released and taken again never looks like the one seen before. A new lock is written in
 * full to a file of our own and hard-linked to PATH: link() fails if PATH exists, so
 * exactly one process creates it, and nobody ever reads a half-written lock.
 *
 * Taking over a stale lock S is where two processes used to both win: each removed "the"
 * stale lock and created its own, and the second removal removed the first one's fresh
 * lock. POSIX has no "replace PATH only if it still holds S", so the takeover of S is
 * guarded by a second lock, PATH.takeover-<digest of S>, taken by this same function:
 *   1. take the claim for S (only one live process can hold it at a time);
 *   2. while holding it, read PATH again: if it no longer holds S, someone took S over
 *      before us: give the claim back and start again (we then see their live lock);
 *   3. if it still holds S, rename our candidate over PATH (rename replaces atomically).
 * Nobody but a claim holder replaces S, and S's owner is dead so it never removes S; so
 * while we hold the claim and see S, PATH stays S until our rename. The claim is given
 * back only after the rename, so whoever takes the claim next reads PATH again and no
 * longer finds S (the nonce keeps S from ever coming back): at most one process replaces
 * any given stale lock. A claim left by a process killed mid-takeover is itself a stale
 * lock and is taken over the same way, one level deeper.
 */
export function takeLock(path: string, depth = 0): HeldLock {
  const mine = `${process.pid}\n${randomBytes(12).toString('base64url')}\n`;
  const candidate = `${path}.${randomBytes(6).toString('hex')}.new`;
  writeFileSync(candidate, mine, { flag: 'wx', mode: 0o600 });
  try {
    for (let round = 0; round < MAX_ROUNDS; round++) {
      if (create(candidate, path, mine)) return held(path, mine);
      const seen = readOrUndefined(path);
      if (seen === undefined) continue; // released meanwhile: try again
      if (holderAlive(seen)) throw new LockBusyError(path, pidOf(seen));
      if (depth >= MAX_DEPTH) throw new LockBusyError(path, pidOf(seen));
      const claim = claimTakeover(path, seen, depth);
      try {
        if (readOrUndefined(path) !== seen) continue;
        renameSync(candidate, path);
        return held(path, mine);
      } finally {
        claim.release();
      }
    }
    throw new LockBusyError(path, undefined);
  } finally {
    rmSync(candidate, { force: true });
  }
}

/** The claim on the stale lock SEEN at PATH; busy while another running process takes it over. */
function claimTakeover(path: string, seen: string, depth: number): HeldLock {
  try {
    return takeLock(claimPath(path, seen), depth + 1);
  } catch (err) {
    // Said of PATH, the lock the user knows, not of the claim file.
    if (err instanceof LockBusyError) throw new LockBusyError(path, err.pid);
    throw err;
  }
}

/** Creates PATH holding MINE if PATH does not exist; false if it does. */
function create(candidate: string, path: string, mine: string): boolean {
  try {
    linkSync(candidate, path);
    return true;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return false;
    // A file system without hard links (FAT, some network shares): O_EXCL still makes one
    // winner; a reader may then see the lock empty for an instant, and counts it as held.
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'ENOSYS' && code !== 'EOPNOTSUPP') throw err;
    try {
      writeFileSync(path, mine, { flag: 'wx', mode: 0o600 });
      return true;
    } catch (err2) {
      if ((err2 as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw err2;
    }
  }
}

function held(path: string, mine: string): HeldLock {
  return {
    path,
    release: () => {
      if (readOrUndefined(path) === mine) rmSync(path, { force: true });
    },
  };
}

function readOrUndefined(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** The lock that guards the takeover of PATH while it holds the stale lock SEEN. */
export function claimPath(path: string, seen: string): string {
  return `${path}.takeover-${createHash('sha256').update(seen).digest('base64url').slice(0, 16)}`;
}

function pidOf(text: string): number | undefined {
  const pid = Number(text.split('\n')[0]?.trim());
  return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined;
}

/** Whether the process named in a lock runs. A lock we cannot read a pid from counts as held. */
function holderAlive(text: string): boolean {
  const pid = pidOf(text);
  if (pid === undefined) return true; // half-written by an older passwd, or not ours to judge
  // Our own pid in a lock we have not taken: left by an earlier run that had the same pid
  // (in a container, passwd is often pid 1 every time).
  if (pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
