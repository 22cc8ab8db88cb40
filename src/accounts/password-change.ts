import { accessSync, constants, statSync } from 'node:fs';
import { dirname } from 'node:path';
import type { PasswordRefusal } from '../protocol/codes.js';
import type { Timers } from '../protocol/timers.js';
import { LockBusyError, withLock } from './lock-file.js';
import { readWhole, withHash, writeFileAtomic, type Ownership } from './users-file.js';

/** Why a password was not changed: the code its owner is answered with, and what the log says (the file, the system's error code; never a password). */
export interface NotChanged {
  why: PasswordRefusal;
  detail: string;
}

/** Puts TEXT in FILE whole, with FILE's permissions and owner: writeFileAtomic, or a failing one in tests. */
export type UsersWriter = (file: string, text: string, keep: Ownership) => void;

export const writeUsersFile: UsersWriter = (file, text, keep) => writeFileAtomic(file, text, undefined, keep);

/**
 * Sets the hash on NAME's line of FILE to HASH, under the lock `chat-server passwd` takes
 * (FILE.lock). The file is read again once the lock is held and only that line changes, so
 * what another writer changed meanwhile (a `chat-server passwd` adding a user) stays. A file
 * that cannot be changed is left as it was. Undefined when done.
 */
export async function changeHash(
  file: string,
  name: string,
  hash: string,
  timers: Timers,
  write: UsersWriter = writeUsersFile,
): Promise<NotChanged | undefined> {
  // Said before the lock is waited for, and without writing anything.
  const refused = cannotWrite(file, 'file', file) ?? cannotWrite(dirname(file), 'folder', file);
  if (refused) return refused;
  try {
    return await withLock(`${file}.lock`, () => rewrite(file, name, hash, write), timers);
  } catch (err) {
    if (err instanceof LockBusyError) return { why: 'busy', detail: `${err.message}, for longer than its wait` };
    return failure(err, 'folder', file, 'taking its lock');
  }
}

/** Run under the lock: FILE read again, NAME's line alone changed, written whole; never throws. */
function rewrite(file: string, name: string, hash: string, write: UsersWriter): NotChanged | undefined {
  try {
    const next = withHash(readWhole(file).text, file, name, hash);
    if (next === undefined) return { why: 'account-gone', detail: `${name} is no longer in ${file}` };
    const { mode, uid, gid } = statSync(file);
    write(file, next, { mode, uid, gid });
    return undefined;
  } catch (err) {
    // writeFileAtomic leaves the old file whole when it fails: its temporary file is in the folder.
    return failure(err, 'folder', file, 'rewriting it');
  }
}

/** Whether this process may write PATH (root may write anything but a read-only file system). */
function cannotWrite(path: string, what: 'file' | 'folder', file: string): NotChanged | undefined {
  try {
    accessSync(path, constants.W_OK);
    return undefined;
  } catch (err) {
    return failure(err, what, file, what === 'file' ? 'the file is not writable' : 'its folder is not writable');
  }
}

/**
 * ERR, met DOING something to FILE or to the folder it is in (WHERE), as the reason the
 * user is told and the detail the log gets.
 */
function failure(err: unknown, where: 'file' | 'folder', file: string, doing: string): NotChanged {
  const code = (err as NodeJS.ErrnoException).code;
  const detail = code === undefined ? (err as Error).message : `${file}: ${doing} (${code})`;
  switch (code) {
    case 'EACCES':
    case 'EPERM':
      return { why: where === 'file' ? 'file-read-only' : 'folder-read-only', detail };
    case 'EROFS':
      return { why: 'read-only-file-system', detail };
    case 'ENOSPC':
    case 'EDQUOT':
      return { why: 'disk-full', detail };
    default:
      return { why: 'file-error', detail };
  }
}
