import { watch, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';
import { nameKey } from '../protocol/names.js';
import type { Timers } from '../protocol/timers.js';
import { AuthThrottle, DEFAULT_THROTTLE, sleep, type ThrottleLimits } from './auth-throttle.js';
import { DEFAULT_COST, hashPassword, verifyPassword } from './password-hash.js';
import { readUsers, type Accounts } from './users-file.js';

/** What the core asks of an account store: the session never sees a hash. */
export interface Authenticator {
  /**
   * Whether NAME may log in with PASSWORD from ADDRESS. A failure, for a wrong name or a
   * wrong password alike, resolves only after `failureDelayMs`. An attempt whose connection
   * closed (SIGNAL aborted) is not checked, or not padded, and resolves false at once.
   * Rejects with TooManyWaitingError when ADDRESS has too many attempts waiting already.
   */
  authenticate(name: string, password: string, address: string, signal?: AbortSignal): Promise<boolean>;
  /** Whether NAME still has an account (after a reload). */
  has(name: string): boolean;
}

export interface AccountsOptions {
  timers: Timers;
  /** Every failed login is answered after this long (README: 1 s). */
  failureDelayMs: number;
  throttle: ThrottleLimits;
}

export const DEFAULT_FAILURE_DELAY_MS = 1000;

/** What a reload changed, for the log and for disconnecting removed users. */
export interface ReloadResult {
  count: number;
  removed: string[];
}

/** Accounts from a users file (one name:hash a line), re-read on demand and on change. */
export class FileAccounts implements Authenticator {
  #accounts: Accounts;
  readonly #throttle: AuthThrottle;
  #watcher: FSWatcher | undefined;
  /** Checked for unknown names, so that they cost as much as known ones. */
  readonly #dummy = hashPassword('no such user', DEFAULT_COST);

  constructor(
    readonly file: string,
    private readonly options: AccountsOptions,
  ) {
    // A file that cannot be read at start is fatal (the caller says so); later, only logged.
    this.#accounts = readUsers(file);
    this.#throttle = new AuthThrottle(options.timers, options.throttle ?? DEFAULT_THROTTLE);
  }

  get size(): number {
    return this.#accounts.size;
  }

  has(name: string): boolean {
    return this.#accounts.has(nameKey(name));
  }

  authenticate(name: string, password: string, address: string, signal?: AbortSignal): Promise<boolean> {
    const { timers, failureDelayMs } = this.options;
    return this.#throttle.run(address, async () => {
      const started = timers.now();
      const account = this.#accounts.get(nameKey(name));
      const hash = account?.hash ?? (await this.#dummy);
      const ok = (await verifyPassword(password, hash)) && account !== undefined;
      if (ok) {
        this.#throttle.succeeded(address);
        return true;
      }
      this.#throttle.failed(address);
      // Padded to one total from the start of the check, whatever the hash cost: how long
      // a failure takes says nothing about whether the name exists.
      // Nobody is left to time a connection that closed: the line moves on at once.
      await sleep(timers, Math.max(0, failureDelayMs - (timers.now() - started)), signal);
      return false;
    }, signal, false);
  }

  /** Re-reads the file. Throws UsersFileError and keeps the accounts it had when the file is bad. */
  reload(): ReloadResult {
    const next = readUsers(this.file);
    const removed = [...this.#accounts.values()].filter((a) => !next.has(nameKey(a.name))).map((a) => a.name);
    this.#accounts = next;
    return { count: next.size, removed };
  }

  /**
   * Calls ONCHANGE when the file changes. The folder is watched, not the file: an atomic
   * write replaces the file, and a watch on the old one would see nothing after that.
   */
  watch(onChange: () => void, debounceMs = 100): void {
    let timer: unknown;
    const name = basename(this.file);
    this.#watcher = watch(dirname(this.file), (_event, changed) => {
      if (changed !== null && changed !== name) return;
      if (timer !== undefined) this.options.timers.clearTimeout(timer);
      timer = this.options.timers.setTimeout(() => {
        timer = undefined;
        onChange();
      }, debounceMs);
    });
    this.#watcher.on('error', () => {});
    this.#watcher.unref();
  }

  close(): void {
    this.#watcher?.close();
  }
}
