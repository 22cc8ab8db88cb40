import { statSync, watch, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';
import { nameKey } from '../protocol/names.js';
import type { Timers } from '../protocol/timers.js';
import type { Authenticator } from './authenticator.js';
import { AuthThrottle, DEFAULT_THROTTLE, sleep, type ThrottleLimits } from './login-throttle.js';
import { costWork, DEFAULT_COST, hashCost, hashPassword, verifyPassword, type ScryptCost } from './password-hash.js';
import { fileVersion, readUsers, type Accounts } from './users-file.js';
import { changeHash, type NotChanged, type UsersWriter } from './password-change.js';

export interface AccountsOptions {
  timers: Timers;
  /** Every failed login is answered after this long at least (docs/running.md, "Accounts": 1 s). */
  failureDelayMs: number;
  throttle: Partial<ThrottleLimits>;
  /** A changed users file is read once it has stayed the same this long. */
  settleMs?: number;
  /** How /passwd writes the users file (default: atomically, keeping its permissions); tests make it fail. */
  writeUsers?: UsersWriter;
}

export const DEFAULT_FAILURE_DELAY_MS = 1000;
/**
 * An in-place edit (truncate, then write) leaves the file empty or half-written for a
 * moment; read then, it would drop every user. A second of stillness covers editors and
 * scripts, and delays a reload by no more than that.
 */
export const DEFAULT_SETTLE_MS = 1000;

/**
 * A failure is padded to at least this many times the slowest recent check, so that the
 * jitter of a loaded machine stays inside the padding rather than showing past it.
 */
const PAD_FACTOR = 1.5;
/** How many recent check times are kept to judge the slowest one. */
const RECENT_CHECKS = 16;

/** What a reload changed, for the log and for disconnecting removed users. */
export interface ReloadResult {
  count: number;
  removed: string[];
}

/** A hash at the file's highest cost, checked for unknown names, and how long making it took. */
interface Decoy {
  cost: ScryptCost;
  ready: Promise<{ hash: string; ms: number }>;
}

/** Accounts from a users file (one name:hash a line), re-read on demand and on change. */
export class FileAccounts implements Authenticator {
  #accounts: Accounts;
  readonly #throttle: AuthThrottle;
  #watcher: FSWatcher | undefined;
  #onChange: (() => void) | undefined;
  #settleTimer: unknown;
  #seenVersion = '';
  #decoy: Decoy | undefined;
  /** How long the last checks took, newest last: the padding stays above the slowest. */
  #recent: number[] = [];

  constructor(
    readonly file: string,
    private readonly options: AccountsOptions,
  ) {
    // A file that cannot be read at start is fatal (the caller says so); later, only logged.
    this.#accounts = readUsers(file);
    this.#throttle = new AuthThrottle(options.timers, options.throttle ?? DEFAULT_THROTTLE);
    this.#priceUnknownNames();
  }

  get size(): number {
    return this.#accounts.size;
  }

  /** The scrypt cost an unknown name is checked at: the highest in the file. */
  get unknownNameCost(): ScryptCost {
    return this.#decoy!.cost;
  }

  has(name: string): boolean {
    return this.#accounts.has(nameKey(name));
  }

  isOperator(name: string): boolean {
    return this.#accounts.get(nameKey(name))?.operator ?? false;
  }

  authenticate(name: string, password: string, address: string, signal?: AbortSignal): Promise<boolean> {
    const { timers } = this.options;
    return this.#throttle.run(
      address,
      async () => {
        const started = timers.now();
        const account = this.#accounts.get(nameKey(name));
        const decoy = await this.#decoy!.ready;
        const checking = timers.now();
        const hash = account?.hash ?? decoy.hash;
        const ok = (await verifyPassword(password, hash)) && account !== undefined;
        this.#checked(timers.now() - checking);
        if (ok) {
          this.#throttle.succeeded(address);
          return true;
        }
        this.#throttle.failed(address);
        // Padded to one total from the start of the check, above the slowest check the file
        // holds (a raised scrypt cost takes longer than the delay): how long a failure takes
        // says nothing about whether the name exists, nor about the cost of its hash. Nobody
        // is left to time a connection that closed: the line moves on at once.
        const total = this.#failureTotal(decoy.ms);
        await sleep(timers, Math.max(0, total - (timers.now() - started)), signal);
        return false;
      },
      signal,
      false,
    );
  }

  /**
   * failureDelayMs, or that doubled as often as needed to stay above the slowest recent
   * check: steps this coarse keep the total still while check times jitter (a busy
   * machine), so the total tells nothing either.
   */
  #failureTotal(decoyMs: number): number {
    const { failureDelayMs } = this.options;
    const slowest = PAD_FACTOR * Math.max(decoyMs, ...this.#recent);
    if (failureDelayMs <= 0) return Math.ceil(slowest);
    let total = failureDelayMs;
    while (total < slowest) total *= 2;
    return total;
  }

  #checked(ms: number): void {
    this.#recent.push(ms);
    if (this.#recent.length > RECENT_CHECKS) this.#recent.shift();
  }

  /**
   * Unknown names are checked against a hash at the highest cost in the file, so that
   * they take as long as the slowest account. Making that hash also measures how long one
   * check at that cost takes here, before anyone has logged in.
   */
  #priceUnknownNames(): void {
    let highest: ScryptCost | undefined;
    for (const a of this.#accounts.values()) {
      const cost = hashCost(a.hash);
      if (cost && (highest === undefined || costWork(cost) > costWork(highest))) highest = cost;
    }
    const cost = highest ?? DEFAULT_COST;
    const old = this.#decoy?.cost;
    if (old && old.N === cost.N && old.r === cost.r && old.p === cost.p) return;
    const { timers } = this.options;
    const started = timers.now();
    // A cost this machine cannot afford fails that account's logins too; the decoy then
    // falls back to the default rather than leave a rejection nobody handles.
    const hash = hashPassword('no such user', cost).catch(() => hashPassword('no such user', DEFAULT_COST));
    this.#decoy = { cost, ready: hash.then((h) => ({ hash: h, ms: timers.now() - started })) };
    this.#recent = [];
  }

  /**
   * /passwd: gives NAME's account PASSWORD, in the file (under its lock, only this line)
   * and here at once. Undefined when done; a file that cannot be changed is left whole and
   * the accounts here as they were.
   */
  async setPassword(name: string, password: string): Promise<NotChanged | undefined> {
    const key = nameKey(name);
    const account = this.#accounts.get(key);
    if (account === undefined) return { why: 'account-gone', detail: `${name} is not in ${this.file}` };
    // The cost chat-server passwd gives, or the account's own if it was raised above that.
    const own = hashCost(account.hash);
    const hash = await hashPassword(password, own !== undefined && costWork(own) > costWork(DEFAULT_COST) ? own : DEFAULT_COST);
    const refused = await changeHash(this.file, name, hash, this.options.timers, this.options.writeUsers);
    if (refused) return refused;
    // This account's hash alone: the rest of the file comes with the reload its change
    // starts (the watcher), which also says who else left it meanwhile. That reload reads
    // the file as written, so it keeps the new hash.
    const now = this.#accounts.get(key);
    if (now !== undefined) this.#accounts.set(key, { ...now, hash });
    this.#priceUnknownNames();
    return undefined;
  }

  /** Re-reads the file. Throws UsersFileError and keeps the accounts it had when the file is bad. */
  reload(): ReloadResult {
    const next = readUsers(this.file);
    const removed = [...this.#accounts.values()].filter((a) => !next.has(nameKey(a.name))).map((a) => a.name);
    this.#accounts = next;
    this.#priceUnknownNames();
    return { count: next.size, removed };
  }

  /**
   * Calls ONCHANGE when the file has changed and then stayed the same for `settleMs`. The
   * folder is watched, not the file: an atomic write replaces the file, and a watch on the
   * old one would see nothing after that.
   */
  watch(onChange: () => void): void {
    this.#onChange = onChange;
    const name = basename(this.file);
    this.#watcher = watch(dirname(this.file), (_event, changed) => {
      if (changed !== null && changed !== name) return;
      this.requestReload();
    });
    this.#watcher.on('error', () => {});
    this.#watcher.unref();
  }

  /**
   * Asks for the watch callback once the file is still: no change seen, and the same
   * size, times and inode, for `settleMs`. An in-place rewrite (truncate, then write the
   * lines back) is thus read once, whole, and not while it is empty. A file emptied on
   * purpose stays empty, and is read as such after the same wait.
   */
  requestReload(): void {
    this.#seenVersion = this.#version();
    this.#wait();
  }

  #wait(): void {
    const { timers, settleMs = DEFAULT_SETTLE_MS } = this.options;
    if (this.#settleTimer !== undefined) timers.clearTimeout(this.#settleTimer);
    this.#settleTimer = timers.setTimeout(() => {
      this.#settleTimer = undefined;
      const now = this.#version();
      if (now !== this.#seenVersion) {
        // Changed without an event we saw (another host writing a shared folder): wait again.
        this.#seenVersion = now;
        this.#wait();
        return;
      }
      this.#onChange?.();
    }, settleMs);
  }

  #version(): string {
    try {
      return fileVersion(statSync(this.file));
    } catch (err) {
      return `cannot stat: ${(err as NodeJS.ErrnoException).code ?? ''}`;
    }
  }

  close(): void {
    this.#watcher?.close();
    if (this.#settleTimer !== undefined) this.options.timers.clearTimeout(this.#settleTimer);
    this.#settleTimer = undefined;
    this.#onChange = undefined;
  }
}
