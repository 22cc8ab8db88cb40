import type { CloseCode } from '../protocol/codes.js';
import type { Words } from './dialect.js';
import type { CoreOptions } from './options.js';

/** What the timeouts watch of a connection. */
export interface Watched {
  readonly name: string | undefined;
  /** A line's answer is pending (a password check, the cluster): the server's time, not the client's. */
  readonly answering: boolean;
  /** Lines read and waiting to be decoded (the rate, an answer): not silence. */
  readonly waiting: boolean;
  /** When the peer was last heard from. */
  readonly lastHeard: number;
  readonly words: Words;
  send(line: string): void;
  close(code: CloseCode, how?: { shown?: string }): void;
}

/** Clears a connection's running timeouts, when it closes. A function, not an object: one less per connection. */
export type Timeouts = () => void;

const NONE: Timeouts = () => {};

/**
 * The register timeout (a connection that has not registered in time is closed) and the idle
 * timeout (one silent too long is closed): docs/running.md, "Limits and defaults". Neither
 * counts time the server causes (PROTOCOL.md): a password check running, lines waiting for the
 * rate.
 */
export function watchTimeouts(s: Watched, options: CoreOptions): Timeouts {
  const { timers, registerTimeoutMs, idleTimeoutMs } = options;
  if (registerTimeoutMs <= 0 && idleTimeoutMs <= 0) return NONE;
  let registerTimer: unknown = undefined;
  let idleTimer: unknown = undefined;
  if (registerTimeoutMs > 0) {
    const expire = (): void => {
      registerTimer = undefined;
      if (s.name !== undefined) return;
      // A password check still running is the server's time, not the client's.
      if (s.answering) {
        registerTimer = timers.setTimeout(expire, 1000);
        return;
      }
      s.send(s.words.registerTimeout(registerTimeoutMs));
      s.close('register-timeout');
    };
    registerTimer = timers.setTimeout(expire, registerTimeoutMs);
  }
  if (idleTimeoutMs > 0) {
    const check = (): void => {
      const silent = timers.now() - s.lastHeard;
      // Lines waiting for the rate or a password check are not silence.
      if (silent < idleTimeoutMs || s.answering || s.waiting) {
        idleTimer = timers.setTimeout(check, Math.max(1000, idleTimeoutMs - silent));
        return;
      }
      idleTimer = undefined;
      s.send(s.words.idleTimeout(idleTimeoutMs));
      s.close('idle-timeout', { shown: 'idle timeout' });
    };
    idleTimer = timers.setTimeout(check, idleTimeoutMs);
  }
  return () => {
    if (registerTimer !== undefined) timers.clearTimeout(registerTimer);
    if (idleTimer !== undefined) timers.clearTimeout(idleTimer);
  };
}
