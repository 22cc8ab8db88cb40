import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import readlineSync from 'readline-sync';
import { isValidName, nameKey } from '../protocol/names.js';
import { hashPassword } from '../server/password-hash.js';
import { formatUsers, readUsers, writeFileAtomic, type Accounts } from '../server/users-file.js';
import { firstLine } from './first-line.js';
import { USAGE_ERROR } from './program.js';

export interface PasswdOptions {
  delete?: boolean;
  passwordStdin?: boolean;
}

/**
 * `chat-server passwd FILE NAME`: adds NAME or changes its password; --delete removes it.
 * The password comes from a hidden prompt asked twice on a terminal, otherwise from the
 * first line of stdin. It never reaches argv, the disk or a log: only its scrypt hash does.
 */
export async function runPasswd(file: string, name: string, options: PasswdOptions): Promise<number> {
  const fail = (message: string, code = 1): number => {
    process.stderr.write(`chat-server passwd: ${message}\n`);
    return code;
  };
  if (!isValidName(name)) return fail(`"${name}" is not a valid name: use 1-32 letters, digits, _ or -.`, USAGE_ERROR);
  // Two runs at once would each write what they read, and one change would be lost.
  const lock = `${file}.lock`;
  try {
    takeLock(lock);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'EEXIST') return fail(`cannot write next to ${file} (${code ?? (err as Error).message}); nothing was changed.`);
    return fail(`${lock} exists: another passwd is changing ${file}. Try again, or remove the lock if none is running.`);
  }
  try {
    return await change(file, name, options, fail);
  } finally {
    rmSync(lock, { force: true });
  }
}

async function change(file: string, name: string, options: PasswdOptions, fail: (message: string) => number): Promise<number> {
  let accounts: Accounts;
  try {
    accounts = existsSync(file) ? readUsers(file) : new Map();
  } catch (err) {
    return fail(`${(err as Error).message}. Fix or move the file; nothing was changed.`);
  }
  const existing = accounts.get(nameKey(name));

  if (options.delete) {
    if (!existing) return fail(`${name} is not in ${file}; nothing was changed.`);
    accounts.delete(nameKey(name));
    writeFileAtomic(file, formatUsers(accounts));
    process.stdout.write(`removed ${existing.name} from ${file}\n`);
    return 0;
  }

  const password = options.passwordStdin || !process.stdin.isTTY ? readStdinLine() : askTwice();
  if (password === undefined) return fail('the two passwords differ; nothing was changed.');
  if (password === '') return fail('the password is empty; nothing was changed.');
  accounts.set(nameKey(name), { name, hash: await hashPassword(password) });
  writeFileAtomic(file, formatUsers(accounts));
  process.stdout.write(existing ? `changed the password of ${name} in ${file}\n` : `added ${name} to ${file}\n`);
  return 0;
}

/**
 * Creates LOCK holding our pid. A lock left by a passwd that was killed (its pid is gone)
 * is taken over; one held by a running passwd makes this throw EEXIST.
 */
function takeLock(lock: string): void {
  try {
    writeFileSync(lock, `${process.pid}\n`, { flag: 'wx', mode: 0o600 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || holderAlive(lock)) throw err;
    rmSync(lock, { force: true });
    writeFileSync(lock, `${process.pid}\n`, { flag: 'wx', mode: 0o600 });
  }
}

function holderAlive(lock: string): boolean {
  const pid = Number(readFileSync(lock, 'utf8').trim());
  if (!Number.isSafeInteger(pid) || pid <= 0) return true; // not ours to judge: leave it
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The first line of stdin, without its line end. */
function readStdinLine(): string {
  return firstLine(readFileSync(0, 'utf8'));
}

function askTwice(): string | undefined {
  const first = readlineSync.question('Password: ', { hideEchoBack: true, mask: '' });
  const second = readlineSync.question('Again: ', { hideEchoBack: true, mask: '' });
  return first === second ? first : undefined;
}
