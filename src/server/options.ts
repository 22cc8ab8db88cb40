import { realTimers, type Timers } from '../protocol/timers.js';
import type { Authenticator } from '../accounts/authenticator.js';
import { DEFAULT_MAX_LINE } from '../protocol/defaults.js';
import type { ServerEvent } from './events.js';
import type { Store } from '../store/store.js';
import type { Dialect } from './dialect.js';

/** Every limit of the server, with its default, in one place (docs/running.md, "Limits and defaults", lists them). */
export interface ServerLimits {
  /** Longest accepted line in bytes, terminator excluded (docs/protocol.md: 4096). */
  maxLine: number;
  /** How long bytes without an LF wait before they count as a line; 0 turns it off. */
  flushMs: number;
  /** Connections at once, registered or not; the next one gets "! server full". */
  maxClients: number;
  /** Presence notices stop while a room has more users than this (docs/protocol.md). */
  announceMax: number;
  /** Rooms at once; /join refuses to create one more. */
  maxRooms: number;
  /** Rooms one user may be in at once; /join refuses one more (docs/protocol.md, "Rooms"). */
  maxRoomsPerUser: number;
  /** Connections one account may have logged in at once (docs/protocol.md, "Your account"); 1 brings back "logged in elsewhere". */
  maxDevices: number;
  /** How far back a named device's catch-up goes, in ms; 0: no catch-up, and no direct message is logged for one. */
  catchupMs: number;
  /** Rooms one account may own (docs/protocol.md, "Rooms people own"); past it, the rooms it makes are not kept. */
  maxOwnedRoomsPerAccount: number;
  /** Bytes queued for one connection that does not read; over it the connection is cut. */
  maxSendq: number;
  /** Connections at once from one address; 0 for no limit. */
  maxPerIp: number;
  /** Lines a second one connection may send, on average; 0 turns flood control off. */
  rate: number;
  /** Lines one connection may send at once before the rate applies (a paste). */
  burst: number;
  /** A connection that has not registered by then is closed; 0 never. */
  registerTimeoutMs: number;
  /** A connection silent for this long is closed; 0 (the default) never. */
  idleTimeoutMs: number;
}

export const DEFAULT_LIMITS: Readonly<ServerLimits> = Object.freeze({
  maxLine: DEFAULT_MAX_LINE,
  flushMs: 250,
  maxClients: 10_000,
  announceMax: 1000,
  maxRooms: 10_000,
  maxRoomsPerUser: 50,
  maxOwnedRoomsPerAccount: 20,
  maxDevices: 10,
  catchupMs: 7 * 24 * 3600 * 1000,
  maxSendq: 1024 * 1024,
  maxPerIp: 100,
  rate: 10,
  burst: 40,
  registerTimeoutMs: 60_000,
  idleTimeoutMs: 0,
});

export interface CoreOptions extends ServerLimits {
  /** Where events (connect, register, leave, rejected input) go; the CLI logs them. */
  onEvent: (event: ServerEvent) => void;
  timers: Timers;
  /** Checks passwords; undefined on a server without accounts (anyone takes a free name). */
  auth: Authenticator | undefined;
  /** History, messages kept for accounts, bans: in memory unless given (--db, --redis). */
  store: Store;
  /** How connections speak: their framing, their commands and the words they are answered in (a listener may give its own: Peer.dialect). */
  dialect: Dialect;
  /** With auth: names that are no account are open to anyone without a password (docs/running.md, "Guests"). */
  guests?: boolean;
  /** How long a wrong room key is answered after (KEY_FAILURE_MS): tests on a fake clock set 0. */
  keyFailureMs?: number;
  /**
   * How long a presence notice may wait to go out with a connection's other output, in real
   * time (ChatCore.flushSoon). Not a limit of the server: tests set it to see the wait alone.
   */
  noticeDelayMs?: number;
}

/** The options as given, with every limit left out at its default. The store and the dialect have no default here: the composition (src/app/) picks them. */
export function coreOptions(given: Partial<CoreOptions> & Pick<CoreOptions, 'store' | 'dialect'>): CoreOptions {
  const defined = Object.fromEntries(Object.entries(given).filter(([, v]) => v !== undefined)) as Partial<CoreOptions>;
  const timers = defined.timers ?? realTimers;
  return { ...DEFAULT_LIMITS, onEvent: () => {}, auth: undefined, ...defined, timers, store: given.store, dialect: given.dialect };
}
