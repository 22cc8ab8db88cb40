import type { Timers } from '../protocol/timers.js';

/** The numbers README documents under "Accounts". */
export interface ThrottleLimits {
  /** Failures from one address that cost nothing extra. */
  freeFailures: number;
  /** How long a failure counts against its address. */
  windowMs: number;
  /** The longest wait before an attempt. */
  maxDelayMs: number;
}

export const DEFAULT_THROTTLE: ThrottleLimits = { freeFailures: 5, windowMs: 15 * 60_000, maxDelayMs: 60_000 };

/**
 * What the throttle counts by: an IPv4 address, or an IPv6 address's /64, since one
 * host is commonly given a whole /64 and could otherwise guess from each of its addresses.
 */
export function throttleKey(address: string): string {
  if (!address.includes(':')) return address;
  const [head = '', tail] = address.split('::');
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array<string>(Math.max(0, 8 - h.length - t.length)).fill('0'), ...t];
  return `${groups.slice(0, 4).map((g) => g.toLowerCase().replace(/^0+(?=.)/, '')).join(':')}::/64`;
}

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

  constructor(
    private readonly timers: Timers,
    private readonly limits: ThrottleLimits = DEFAULT_THROTTLE,
  ) {}

  /** How long the next attempt from ADDRESS waits before it is checked. */
  delayFor(address: string): number {
    const recent = this.#recent(throttleKey(address));
    if (recent < this.limits.freeFailures) return 0;
    return Math.min(this.limits.maxDelayMs, 1000 * 2 ** (recent - this.limits.freeFailures + 1));
  }

  failed(from: string): void {
    const address = throttleKey(from);
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
    this.#failures.delete(throttleKey(from));
  }

  /** Runs ATTEMPT after the earlier attempts from ADDRESS and after its delay. */
  run<T>(from: string, attempt: () => Promise<T>): Promise<T> {
    const address = throttleKey(from);
    const before = this.#queues.get(address) ?? Promise.resolve();
    const mine = before
      .catch(() => {})
      .then(() => this.#sleep(this.delayFor(from)))
      .then(attempt);
    this.#queues.set(address, mine);
    const forget = (): void => {
      if (this.#queues.get(address) === mine) this.#queues.delete(address);
    };
    mine.then(forget, forget);
    return mine;
  }

  #recent(address: string): number {
    const list = this.#failures.get(address);
    if (!list) return 0;
    const since = this.timers.now() - this.limits.windowMs;
    while (list.length > 0 && (list[0] ?? 0) <= since) list.shift();
    if (list.length === 0) this.#failures.delete(address);
    return list.length;
  }

  #sleep(ms: number): Promise<void> {
    return ms <= 0 ? Promise.resolve() : new Promise((resolve) => this.timers.setTimeout(resolve, ms));
  }
}
