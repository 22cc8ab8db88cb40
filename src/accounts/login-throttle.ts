import { addressKey } from '../protocol/address-key.js';
import { TooManyWaitingError } from './authenticator.js';
import type { Timers } from '../protocol/timers.js';

/** The numbers docs/running.md documents under "Accounts". */
export interface ThrottleLimits {
  /** Failures from one address that cost nothing extra. */
  freeFailures: number;
  /** How long a failure counts against its address. */
  windowMs: number;
  /** The longest wait before an attempt. */
  maxDelayMs: number;
  /** Attempts from one address that may wait their turn; more are refused at once. */
  maxWaiting: number;
}

export const DEFAULT_THROTTLE: ThrottleLimits = { freeFailures: 5, windowMs: 15 * 60_000, maxDelayMs: 60_000, maxWaiting: 10 };

/** Addresses remembered at most: an attacker with many addresses cannot grow this map. */
const MAX_ADDRESSES = 10_000;

/**
 * Slows password guessing per remote address. Attempts from one address run one at a time,
 * whatever the number of connections it opens; past `freeFailures` failures in the window,
 * each attempt first waits 2, 4, 8 ... seconds, up to `maxDelayMs`.
 */
export class AuthThrottle {
  readonly #failures = new Map<string, number[]>();
  readonly #queues = new Map<string, Promise<unknown>>();
  /** Attempts in line per address, the one being checked included. */
  readonly #inLine = new Map<string, number>();

  readonly #limits: ThrottleLimits;

  constructor(
    private readonly timers: Timers,
    limits: Partial<ThrottleLimits> = {},
  ) {
    this.#limits = { ...DEFAULT_THROTTLE, ...limits };
  }

  /** How long the next attempt from ADDRESS waits before it is checked. */
  delayFor(address: string): number {
    const recent = this.#recent(addressKey(address));
    if (recent < this.#limits.freeFailures) return 0;
    return Math.min(this.#limits.maxDelayMs, 1000 * 2 ** (recent - this.#limits.freeFailures + 1));
  }

  failed(from: string): void {
    const address = addressKey(from);
    const list = this.#failures.get(address) ?? [];
    list.push(this.timers.now());
    this.#failures.delete(address); // re-insert: the map's order is then least recent first
    this.#failures.set(address, list);
    if (this.#failures.size > MAX_ADDRESSES) this.#failures.delete(this.#failures.keys().next().value as string);
  }

  /**
   * A login from ADDRESS succeeded: its failures are forgotten, so a typo does not slow the
   * right password down. Guessing stays at about one a second per address all the same:
   * attempts run one at a time and every failure takes 1 s.
   */
  succeeded(from: string): void {
    this.#failures.delete(addressKey(from));
  }

  /**
   * Runs ATTEMPT after the earlier attempts from ADDRESS and after its delay. An attempt
   * whose connection closed while it waited (SIGNAL aborted) is skipped and resolves with
   * SKIPPED: abandoned logins must not hold the line for the ones still waiting. With
   * maxWaiting attempts already in line, it rejects at once with TooManyWaitingError.
   */
  run<T>(from: string, attempt: () => Promise<T>, signal?: AbortSignal, skipped?: T): Promise<T> {
    const address = addressKey(from);
    const inLine = this.#inLine.get(address) ?? 0;
    if (inLine >= this.#limits.maxWaiting) return Promise.reject(new TooManyWaitingError());
    this.#inLine.set(address, inLine + 1);
    const before = this.#queues.get(address) ?? Promise.resolve();
    const mine = before
      .catch(() => {})
      .then(() => sleep(this.timers, signal?.aborted ? 0 : this.delayFor(from), signal))
      .then(() => (signal?.aborted ? (skipped as T) : attempt()));
    this.#queues.set(address, mine);
    let counted = true;
    const forget = (): void => {
      if (counted) {
        counted = false;
        const left = (this.#inLine.get(address) ?? 1) - 1;
        if (left > 0) this.#inLine.set(address, left);
        else this.#inLine.delete(address);
      }
      if (this.#queues.get(address) === mine) this.#queues.delete(address);
    };
    // An abandoned attempt stops counting against the cap at once, not when the check ahead
    // of it (a slow scrypt on a busy machine) is done: the owner must not be refused for it.
    signal?.addEventListener('abort', forget, { once: true });
    mine.then(forget, forget);
    return mine;
  }

  #recent(address: string): number {
    const list = this.#failures.get(address);
    if (!list) return 0;
    const since = this.timers.now() - this.#limits.windowMs;
    while (list.length > 0 && (list[0] ?? 0) <= since) list.shift();
    if (list.length === 0) this.#failures.delete(address);
    return list.length;
  }
}

/** Resolves after MS on TIMERS, or at once when SIGNAL aborts: waiting for nobody helps nobody. */
export function sleep(timers: Timers, ms: number, signal?: AbortSignal): Promise<void> {
  if (ms <= 0 || signal?.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      timers.clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = timers.setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}
