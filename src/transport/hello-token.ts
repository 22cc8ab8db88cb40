import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** A token is good in the window it was made in and the next one: one to two minutes. */
export const HELLO_WINDOW_MS = 60_000;
/** 72 bits: guessing one for a forged address is out of reach within its two windows. */
const TOKEN_BYTES = 9;
/** Base64url of TOKEN_BYTES. */
export const TOKEN_LENGTH = Math.ceil((TOKEN_BYTES * 4) / 3);

/**
 * The UDP address check of docs/protocol.md: a token that proves an address receives our
 * datagrams, an HMAC of the address and the time window under a secret made at start.
 * Nothing is stored per address: checking a token recomputes it.
 */
export class HelloTokens {
  readonly #secret = randomBytes(32);

  constructor(
    private readonly now: () => number,
    private readonly windowMs = HELLO_WINDOW_MS,
  ) {}

  issue(host: string, port: number): string {
    return this.#token(host, port, this.#window()).toString('base64url');
  }

  /** True for a token made for HOST:PORT in this window or the one before. */
  verify(host: string, port: number, token: string): boolean {
    if (token.length !== TOKEN_LENGTH || !/^[A-Za-z0-9_-]+$/.test(token)) return false;
    const given = Buffer.from(token, 'base64url');
    if (given.length !== TOKEN_BYTES) return false;
    const window = this.#window();
    // Both computed every time: how long a check takes says nothing about which window matched.
    const current = timingSafeEqual(given, this.#token(host, port, window));
    const previous = timingSafeEqual(given, this.#token(host, port, window - 1));
    return current || previous;
  }

  #window(): number {
    return Math.floor(this.now() / this.windowMs);
  }

  #token(host: string, port: number, window: number): Buffer {
    return createHmac('sha256', this.#secret).update(`${window}\n${host}\n${port}`).digest().subarray(0, TOKEN_BYTES);
  }
}
