import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { isValidName, nameKey } from '../protocol/names.js';
import { hashProblem } from './password-hash.js';

/** One account: the name in the case it was written, and its scrypt hash. */
export interface Account {
  name: string;
  hash: string;
}

/** Keyed by nameKey(name): names are unique without regard to case. */
export type Accounts = Map<string, Account>;

export class UsersFileError extends Error {
  constructor(
    readonly file: string,
    readonly line: number | undefined,
    readonly problem: string,
  ) {
    super(line === undefined ? `${file}: ${problem}` : `${file} line ${line}: ${problem}`);
    this.name = 'UsersFileError';
  }
}

/**
 * Parses "name:hash" lines. Blank lines and lines starting with # are skipped. Any other
 * problem names its line: a half-right file is refused whole rather than half-loaded.
 */
export function parseUsers(text: string, file: string): Accounts {
  const accounts: Accounts = new Map();
  text.split('\n').forEach((raw, i) => {
    const line = raw.replace(/\r$/, '');
    if (line.trim() === '' || line.startsWith('#')) return;
    const colon = line.indexOf(':');
    const name = colon === -1 ? line : line.slice(0, colon);
    const hash = colon === -1 ? '' : line.slice(colon + 1);
    if (colon === -1) throw new UsersFileError(file, i + 1, 'expected NAME:HASH');
    if (!isValidName(name)) throw new UsersFileError(file, i + 1, `"${name}" is not a valid name`);
    const problem = hashProblem(hash);
    if (problem) throw new UsersFileError(file, i + 1, problem);
    if (accounts.has(nameKey(name))) throw new UsersFileError(file, i + 1, `${name} is listed twice`);
    accounts.set(nameKey(name), { name, hash });
  });
  return accounts;
}

export function formatUsers(accounts: Accounts): string {
  return [...accounts.values()].map((a) => `${a.name}:${a.hash}\n`).join('');
}

/** Reads FILE; a missing file is an error, as it is for the server. */
export function readUsers(file: string): Accounts {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new UsersFileError(file, undefined, `cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  return parseUsers(text, file);
}

/**
 * Writes FILE so that a crash never leaves it half-written: a temporary file in the same
 * folder, mode 0600, flushed to disk, then renamed over FILE (rename is atomic).
 * `beforeRename` lets tests stop it at the worst moment.
 */
export function writeFileAtomic(file: string, data: string, beforeRename: () => void = () => {}): void {
  const temp = join(dirname(file), `.${basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
  const fd = openSync(temp, 'wx', 0o600);
  let open = true;
  try {
    writeSync(fd, data);
    fsyncSync(fd);
    closeSync(fd);
    open = false;
    beforeRename();
    renameSync(temp, file);
  } catch (err) {
    if (open) closeSync(fd);
    rmSync(temp, { force: true });
    throw err;
  }
}
