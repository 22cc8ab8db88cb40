import type { PasswordRefusal } from '../protocol/codes.js';

/** What the core asks of an account store: the session never sees a hash. */
export interface Authenticator {
  /**
   * Whether NAME may log in with PASSWORD from ADDRESS. A failure, for a wrong name or a
   * wrong password alike, resolves only after `failureDelayMs`, or later if the slowest
   * check of the store takes longer. An attempt whose connection closed (SIGNAL aborted)
   * is not checked, or not padded, and resolves false at once. Rejects with
   * TooManyWaitingError when ADDRESS has too many attempts waiting already.
   */
  authenticate(name: string, password: string, address: string, signal?: AbortSignal): Promise<boolean>;
  /** Whether NAME still has an account (after a reload). */
  has(name: string): boolean;
  /** Whether NAME's account carries the operator mark (docs/protocol.md "Not yet in this server"). */
  isOperator(name: string): boolean;
  /**
   * Gives NAME's account PASSWORD (its owner proved the old one with authenticate first):
   * the store is changed for good, and the next login checks the new one. Undefined when
   * done; else why not, for the answer, and a detail for the log that holds no password.
   * A store without it cannot change passwords.
   */
  setPassword?(name: string, password: string): Promise<{ why: PasswordRefusal; detail: string } | undefined>;
}

/** An address already has maxWaiting attempts in line: answered at once, nothing is checked. */
export class TooManyWaitingError extends Error {
  constructor() {
    super('too many logins waiting from one address');
    this.name = 'TooManyWaitingError';
  }
}
