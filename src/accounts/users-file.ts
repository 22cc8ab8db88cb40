import { randomBytes } from 'node:crypto';
import { closeSync, fchmodSync, fchownSync, fstatSync, fsyncSync, openSync, readFileSync, renameSync, rmSync, statSync, writeSync, type Stats } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { isValidName, nameKey } from '../protocol/names.js';
import { hashProblem } from './password-hash.js';

/** One account: the name in the case it was written, its scrypt hash, and its operator mark. */
export interface Account {
  name: string;
  hash: string;
  /** The operator mark, for the moderation commands still to come (docs/protocol.md, "Not yet in this server"); set with `chat-server passwd --op`. */
  operator: boolean;
}

/** The marks a line may carry after its hash; "op" is the only one so far. */
const OPERATOR_FLAG = 'op';

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
 * Parses "NAME:HASH" and "NAME:HASH:FLAGS" lines; FLAGS is a comma-separated list of marks,
 * and "op" makes the account an operator. A hash never holds a colon (scrypt$...$base64),
 * so files written before the flags existed read as they always did. Blank lines and lines
 * starting with # are skipped. Any other problem names its line: a half-right file is
 * refused whole rather than half-loaded (an unknown flag too: a typo must not quietly
 * leave someone without, or with, rights).
 */
export function parseUsers(text: string, file: string): Accounts {
  const accounts: Accounts = new Map();
  text.split('\n').forEach((raw, i) => {
    const line = raw.replace(/\r$/, '');
    if (line.trim() === '' || line.startsWith('#')) return;
    const [name = '', hash, flagText, ...extra] = line.split(':');
    if (hash === undefined || extra.length > 0) throw new UsersFileError(file, i + 1, 'expected NAME:HASH or NAME:HASH:FLAGS');
    if (!isValidName(name)) throw new UsersFileError(file, i + 1, `"${name}" is not a valid name`);
    const problem = hashProblem(hash);
    if (problem) throw new UsersFileError(file, i + 1, problem);
    const flags = flagText === undefined || flagText === '' ? [] : flagText.split(',');
    const unknown = flags.find((f) => f !== OPERATOR_FLAG);
    if (unknown !== undefined) throw new UsersFileError(file, i + 1, `unknown flag "${unknown}" (the only flag is "${OPERATOR_FLAG}")`);
    if (accounts.has(nameKey(name))) throw new UsersFileError(file, i + 1, `${name} is listed twice`);
    accounts.set(nameKey(name), { name, hash, operator: flags.includes(OPERATOR_FLAG) });
  });
  return accounts;
}

/**
 * TEXT, a users file, with the hash on NAME's line replaced by HASH and nothing else
 * changed: other lines, comments, blank lines, the order, the marks, the line ends. TEXT is
 * parsed whole first (a file the server would refuse to read is not written either).
 * Undefined when NAME has no line.
 */
export function withHash(text: string, file: string, name: string, hash: string): string | undefined {
  const key = nameKey(name);
  if (!parseUsers(text, file).has(key)) return undefined;
  return text
    .split('\n')
    .map((raw) => {
      const cr = raw.endsWith('\r') ? '\r' : '';
      const line = cr === '' ? raw : raw.slice(0, -1);
      if (line.trim() === '' || line.startsWith('#')) return raw;
      const [lineName = '', , ...flags] = line.split(':');
      return nameKey(lineName) === key ? `${[lineName, hash, ...flags].join(':')}${cr}` : raw;
    })
    .join('\n');
}

export function formatUsers(accounts: Accounts): string {
  return [...accounts.values()].map((a) => `${a.name}:${a.hash}${a.operator ? `:${OPERATOR_FLAG}` : ''}\n`).join('');
}

/** Reads FILE; a missing file is an error, as it is for the server. */
export function readUsers(file: string): Accounts {
  return parseUsers(readWhole(file).text, file);
}

/** What tells one version of a file from another without reading it. */
export function fileVersion(stats: Stats): string {
  return `${stats.dev}:${stats.ino}:${stats.size}:${stats.mtimeMs}:${stats.ctimeMs}`;
}

/**
 * FILE's text, and its version, read so that the text is one version of the file: the
 * file is checked before and after the read, and also by name after it (an atomic write
 * may have put another file there). A file written to while it was read is refused: a
 * prefix of a users file that ends at a line end parses fine and drops every user after it.
 * `afterRead` lets tests change the file at the worst moment.
 */
export function readWhole(file: string, afterRead: () => void = () => {}): { text: string; version: string } {
  const cannot = (err: unknown): UsersFileError =>
    new UsersFileError(file, undefined, `cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (err) {
    throw cannot(err);
  }
  try {
    const before = fileVersion(fstatSync(fd));
    const text = readFileSync(fd, 'utf8');
    afterRead();
    const after = fileVersion(fstatSync(fd));
    const byName = fileVersion(statSync(file));
    if (before !== after || after !== byName) throw new UsersFileError(file, undefined, 'changed while it was being read');
    return { text, version: after };
  } catch (err) {
    throw err instanceof UsersFileError ? err : cannot(err);
  } finally {
    closeSync(fd);
  }
}

/** The permissions and owner a rewritten file keeps (the server's /passwd leaves the file as its operator set it). */
export interface Ownership {
  mode: number;
  uid: number;
  gid: number;
}

/**
 * Writes FILE so that a crash never leaves it half-written: a temporary file in the same
 * folder, mode 0600 (or KEEP's mode and, where the system lets us, its owner), flushed to
 * disk, then renamed over FILE (rename is atomic). `beforeRename` lets tests stop it at
 * the worst moment.
 */
export function writeFileAtomic(file: string, data: string, beforeRename: () => void = () => {}, keep?: Ownership): void {
  const temp = join(dirname(file), `.${basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
  const fd = openSync(temp, 'wx', 0o600);
  let open = true;
  try {
    if (keep !== undefined) {
      fchmodSync(fd, keep.mode & 0o7777);
      try {
        fchownSync(fd, keep.uid, keep.gid);
      } catch {
        // Only root gives a file away: the server's own user then owns it, as it owns the folder's other files.
      }
    }
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
