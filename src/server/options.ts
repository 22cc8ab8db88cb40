import { realTimers, type Timers } from '../protocol/timers.js';
import type { Authenticator } from './accounts.js';
import type { ServerEvent } from './events.js';

/** Every limit of the server, with its default, in one place (README lists them). */
export interface ServerLimits {
  /** Longest accepted line in bytes, terminator excluded (PROTOCOL.md: 4096). */
  maxLine: number;
  /** How long bytes without an LF wait before they count as a line; 0 turns it off. */
  flushMs: number;
  /** Connections at once, registered or not; the next one gets "! server full". */
  maxClients: number;
  /** Presence notices stop while more users than this are online (PROTOCOL.md). */
  announceMax: number;
  /** Bytes queued for one connection that does not read; over it the connection is cut. */
  maxSendq: number;
}

export const DEFAULT_LIMITS: Readonly<ServerLimits> = Object.freeze({
  maxLine: 4096,
  flushMs: 250,
  maxClients: 10_000,
  announceMax: 1000,
  maxSendq: 1024 * 1024,
});

export interface CoreOptions extends ServerLimits {
  /** Where events (connect, register, leave, rejected input) go; the CLI logs them. */
  onEvent: (event: ServerEvent) => void;
  timers: Timers;
  /** Checks passwords; undefined on a server without accounts (anyone takes a free name). */
  auth: Authenticator | undefined;
}

export function coreOptions(given: Partial<CoreOptions> = {}): CoreOptions {
  const defined = Object.fromEntries(Object.entries(given).filter(([, v]) => v !== undefined));
  return { ...DEFAULT_LIMITS, onEvent: () => {}, timers: realTimers, auth: undefined, ...defined };
}
