/**
 * A token bucket: `rate` tokens a second, at most `burst` saved up. Time comes from the
 * caller's clock, so tests step it instead of sleeping.
 */
export class TokenBucket {
  #tokens: number;
  #last: number;

  constructor(
    private readonly rate: number,
    private readonly burst: number,
    private readonly now: () => number,
  ) {
    this.#tokens = burst;
    this.#last = now();
  }

  /** Takes a token if there is one. */
  take(): boolean {
    this.#refill();
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }

  /**
   * Spends N tokens whether or not they are there: the balance may go below zero, and
   * wait() then covers the debt. For costs known only after the work is done.
   */
  spend(n: number): void {
    if (n <= 0) return;
    this.#refill();
    this.#tokens -= n;
  }

  /** True when no token is missing: forgetting the bucket then loses nothing. */
  get full(): boolean {
    this.#refill();
    return this.#tokens >= this.burst;
  }

  /** Milliseconds until a token is there. */
  wait(): number {
    this.#refill();
    return this.#tokens >= 1 ? 0 : Math.ceil(((1 - this.#tokens) * 1000) / this.rate);
  }

  #refill(): void {
    const now = this.now();
    this.#tokens = Math.min(this.burst, this.#tokens + ((now - this.#last) * this.rate) / 1000);
    this.#last = now;
  }
}
