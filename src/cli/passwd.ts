import { existsSync } from 'node:fs';
import readlineSync from 'readline-sync';
import { isValidName, nameKey } from '../protocol/names.js';
import { hashPassword } from '../accounts/password-hash.js';
import { passwordProblem } from '../accounts/password-rules.js';
import { formatUsers, readUsers, writeFileAtomic, type Accounts } from '../accounts/users-file.js';
import { readFirstLine } from './first-line.js';
import { LockBusyError, waitForLock, type HeldLock } from '../accounts/lock-file.js';
import { USAGE_ERROR } from './program.js';

export interface PasswdOptions {
  delete?: boolean;
  passwordStdin?: boolean;
  /** true: --op, false: --no-op, undefined: neither. */
  op?: boolean;
  list?: boolean;
}

/** One change to the users file, decided before the lock is taken. */
type Change = { kind: 'delete' } | { kind: 'operator'; operator: boolean } | { kind: 'password'; hash: string };

/**
 * `chat-server passwd FILE NAME`: adds NAME or changes its password; --delete removes it;
 * --op and --no-op set or clear its operator mark; --list FILE lists the accounts.
 * The password comes from a hidden prompt asked twice on a terminal, otherwise from the
 * first line of stdin. It never reaches argv, the disk or a log: only its scrypt hash does.
 */
export async function runPasswd(file: string, name: string | undefined, options: PasswdOptions): Promise<number> {
  const fail = (message: string, code = 1): number => {
    process.stderr.write(`chat-server passwd: ${message}\n`);
    return code;
  };
  const usage = (message: string): number => fail(message, USAGE_ERROR);

  if (options.list) {
    if (name !== undefined || options.delete || options.op !== undefined || options.passwordStdin) {
      return usage('--list takes only the file: chat-server passwd --list FILE.');
    }
    return list(file, fail);
  }
  if (name === undefined) return usage('give the user name: chat-server passwd FILE NAME (or --list FILE to see the accounts).');
  if (!isValidName(name)) return usage(`"${name}" is not a valid name: use 1-32 letters, digits, _ or -.`);
  if (options.delete && options.op !== undefined) return usage('--delete and --op/--no-op do not go together: give one.');
  if (options.op !== undefined && options.passwordStdin) return usage('--op and --no-op change only the mark and take no password.');

  let change: Change;
  if (options.delete) change = { kind: 'delete' };
  else if (options.op !== undefined) change = { kind: 'operator', operator: options.op };
  else {
    // A file passwd cannot change is said before a password is asked for nothing.
    const unusable = readProblem(file);
    if (unusable !== undefined) return fail(unusable);
    // Asked before the lock is taken: a person typing must not hold up another passwd.
    const password = options.passwordStdin || !process.stdin.isTTY ? await readFirstLine(process.stdin) : askTwice();
    if (password === undefined) return fail('the two passwords differ; nothing was changed.');
    const problem = passwordProblem(name, password);
    if (problem) return fail(`${problem}; nothing was changed. Choose another password.`);
    change = { kind: 'password', hash: await hashPassword(password) };
  }

  // Two runs at once would each write what they read, and one change would be lost.
  let lock: HeldLock;
  try {
    lock = await waitForLock(`${file}.lock`);
  } catch (err) {
    if (err instanceof LockBusyError) {
      const holder = err.pid === undefined ? 'another passwd' : `another passwd (pid ${err.pid})`;
      return fail(
        `${err.lock} is held by ${holder} that is still changing ${file}; nothing was changed. Try again, or remove the lock if no passwd is running.`,
      );
    }
    const code = (err as NodeJS.ErrnoException).code;
    return fail(`cannot write next to ${file} (${code ?? (err as Error).message}); nothing was changed.`);
  }
  try {
    return apply(file, name, change, fail);
  } catch (err) {
    // writeFileAtomic leaves the old file whole when it fails (a full disk, a read-only folder).
    const code = (err as NodeJS.ErrnoException).code;
    return fail(`cannot write ${file} (${code ?? (err as Error).message}); nothing was changed.`);
  } finally {
    lock.release();
  }
}

function readProblem(file: string): string | undefined {
  try {
    if (existsSync(file)) readUsers(file);
    return undefined;
  } catch (err) {
    return `${(err as Error).message}. Fix or move the file; nothing was changed.`;
  }
}

function apply(file: string, name: string, change: Change, fail: (message: string) => number): number {
  let accounts: Accounts;
  try {
    accounts = existsSync(file) ? readUsers(file) : new Map();
  } catch (err) {
    return fail(readProblem(file) ?? `${(err as Error).message}. Fix or move the file; nothing was changed.`);
  }
  const key = nameKey(name);
  const existing = accounts.get(key);

  switch (change.kind) {
    case 'delete':
      if (!existing) return fail(`${name} is not in ${file}; nothing was changed.`);
      accounts.delete(key);
      writeFileAtomic(file, formatUsers(accounts));
      process.stdout.write(`removed ${existing.name} from ${file}\n`);
      return 0;
    case 'operator': {
      const flag = change.operator ? '--op' : '--no-op';
      if (!existing)
        return fail(`${name} is not in ${file}: add the account first with chat-server passwd ${file} ${name}, then ${flag}; nothing was changed.`);
      if (existing.operator === change.operator) {
        process.stdout.write(`${existing.name} ${change.operator ? 'is already' : 'is not'} an operator in ${file}; nothing was changed\n`);
        return 0;
      }
      accounts.set(key, { ...existing, operator: change.operator });
      writeFileAtomic(file, formatUsers(accounts));
      process.stdout.write(`${existing.name} ${change.operator ? 'is now' : 'is no longer'} an operator in ${file}\n`);
      return 0;
    }
    case 'password':
      // A new password keeps the operator mark; a new account starts without one.
      accounts.set(key, { name, hash: change.hash, operator: existing?.operator ?? false });
      writeFileAtomic(file, formatUsers(accounts));
      process.stdout.write(existing ? `changed the password of ${name} in ${file}\n` : `added ${name} to ${file}\n`);
      return 0;
  }
}

/** One account a line: its name, then "operator" for operators. Never a hash. */
function list(file: string, fail: (message: string) => number): number {
  let accounts: Accounts;
  try {
    accounts = readUsers(file);
  } catch (err) {
    return fail(`${(err as Error).message}.`);
  }
  if (accounts.size === 0) process.stderr.write(`chat-server passwd: ${file} has no accounts.\n`);
  for (const a of accounts.values()) process.stdout.write(a.operator ? `${a.name} operator\n` : `${a.name}\n`);
  return 0;
}

function askTwice(): string | undefined {
  const first = readlineSync.question('Password: ', { hideEchoBack: true, mask: '' });
  const second = readlineSync.question('Again: ', { hideEchoBack: true, mask: '' });
  return first === second ? first : undefined;
}
