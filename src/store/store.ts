/**
 * What the chat remembers, behind one interface (STYLE.md, "store/"): room history, messages
 * kept for accounts that are offline, bans, owned rooms, and what named devices need to
 * catch up on. The in-memory store is the default; SQLite
 * (--db) keeps it across restarts; Redis (--redis) shares it between the servers of a
 * cluster. Every implementation passes the same contract tests (test/store/contract.ts).
 *
 * As with the hub, what an implementation answers at once comes back as a plain value and
 * what needs the disk or the network as a promise (see `after` in hub/hub.ts).
 */
import type { Awaitable } from '../protocol/awaitable.js';
import type { RoomState } from '../protocol/room-state.js';

/** A room message as history keeps it: docs/protocol.md, "History and messages kept for later". */
export interface HistoryEntry {
  /** When the server took it, in ms since the epoch. */
  at: number;
  /** The sender's name, as shown. */
  from: string;
  /** The text as relayed (already sanitised). */
  text: string;
}

/** A direct message kept for an account that was offline. `id` is the store's own, for take(). */
export interface KeptMessage extends HistoryEntry {
  id: string;
}

/** A direct message in an account's log for its devices' catch-up: FROM sent TEXT to TO at AT. */
export interface DirectEntry extends HistoryEntry {
  /** The addressee's name, as shown. */
  to: string;
}

/** Where a named device of an account was when it last left: when, and its rooms (as shown). */
export interface DeviceMark {
  /** When it left, in ms since the epoch: catch-up starts after it. */
  at: number;
  rooms: string[];
}

/** A ban on an account: it may not log in until `until` (ms since the epoch; undefined: until lifted). */
export interface Ban {
  /** The account, as the operator wrote it. */
  name: string;
  /** The operator who banned it. */
  by: string;
  reason: string;
  /** When the ban was made, ms since the epoch. */
  at: number;
  until: number | undefined;
}

/** Limits of a store, each a server option (docs/running.md, "History"). */
export interface StoreLimits {
  /** Room messages kept per room; 0 keeps none. */
  history: number;
  /** Messages kept per account at most. */
  offlineMax: number;
  /** Kept messages older than this are dropped, in ms. */
  offlineMs: number;
  /**
   * Bytes all rooms' history may take on disk or in Redis (--db, --redis): past it the chat's
   * oldest messages go first, whatever their room. The memory store has historyMemory.
   */
  historyDisk: number;
  /** Direct messages and device marks are kept this long for catch-up, in ms; 0 keeps none. */
  catchupMs: number;
}

export const DEFAULT_STORE_LIMITS: Readonly<StoreLimits> = Object.freeze({
  history: 1000,
  offlineMax: 256,
  offlineMs: 7 * 24 * 3600 * 1000,
  historyDisk: 1024 * 1024 * 1024,
  catchupMs: 7 * 24 * 3600 * 1000,
});

/**
 * Direct messages an account's log keeps at most, oldest dropped first: a device away for
 * days catches up on the last thousand, and one chatty correspondent cannot grow the log
 * without end.
 */
export const DIRECT_LOG_MAX = 1000;

/**
 * Named devices remembered per account, least recently left dropped first: a script that
 * logs in under a new device name each time must not grow its account's marks without end.
 */
export const DEVICE_MARKS_MAX = 32;

/**
 * Read markers kept per account, the oldest dropped first: a client marking a thousand
 * conversations read (or a script inventing names) must not grow its account's markers
 * without end.
 */
export const READ_MARKERS_MAX = 1000;

/** Bytes all histories together may hold in memory (the memory store): --history-memory. */
export const DEFAULT_HISTORY_MEMORY = 64 * 1024 * 1024;

/**
 * Whether a direct message was kept: `full` when its addressee already has offlineMax
 * waiting, `full from you` when the sender has a quarter of them (senderMax): one sender
 * must not fill another's mailbox and shut out everyone else.
 */
export type Keep = 'kept' | 'full' | 'full from you' | 'unavailable';

/** Kept messages one sender may have waiting for one account: a quarter of offlineMax, at least one. */
export function senderMax(limits: StoreLimits): number {
  return Math.max(1, Math.floor(limits.offlineMax / 4));
}

export interface Store {
  /**
   * Adds a room message to ROOM's history (a no-op when history is off). Never waits: an
   * implementation that writes to disk or the network groups its writes per event-loop turn,
   * and reports a failed write through onError rather than to the sender.
   */
  append(room: string, entry: HistoryEntry): void;
  /** The last N messages of ROOM (any case), oldest first; undefined when unavailable. */
  history(room: string, n: number): Awaitable<HistoryEntry[] | undefined>;

  /** Keeps a direct message for the account TO (any case), oldest dropped past offlineMs. */
  keep(to: string, entry: HistoryEntry): Awaitable<Keep>;
  /** The messages kept for TO, oldest first, without those past offlineMs; undefined when unavailable. */
  kept(to: string): Awaitable<KeptMessage[] | undefined>;
  /** Removes kept messages once they were written to their addressee. */
  remove(to: string, ids: readonly string[]): Awaitable<void>;

  /**
   * Bans an account, replacing any ban it had. Throws (or rejects) when it could not be
   * written: a ban must never be thought written when it is not.
   */
  ban(ban: Ban): Awaitable<void>;
  /** Lifts the ban on NAME (any case): false when there was none. Throws (or rejects) on failure. */
  unban(name: string): Awaitable<boolean>;
  /**
   * The ban on NAME (any case) still in force at `now`, if any. Throws (or rejects) when the
   * bans cannot be read: a login must not take "unreadable" for "not banned".
   */
  banOf(name: string, now: number): Awaitable<Ban | undefined>;
  /** Every ban still in force at `now`, sorted by name without regard to case; undefined when unavailable. */
  bans(now: number): Awaitable<Ban[] | undefined>;

  /**
   * An owned room's state (docs/protocol.md, "Rooms people own"), kept while the room is
   * empty and across restarts; undefined when ROOM (any case) is owned by nobody. Throws (or
   * rejects) when it cannot be read: a private room must not open because the store is down.
   */
  ownedRoom(room: string): Awaitable<RoomState | undefined>;
  /**
   * Keeps STATE (which has an owner) as ROOM's, unless what is kept already has a version
   * (RoomState.v) as new or newer: two servers writing one room's changes in either order
   * keep the newest. Throws (or rejects) when it could not be written.
   */
  saveRoom(room: string, state: RoomState): Awaitable<void>;
  /** How many rooms the account OWNER (any case) owns. Throws (or rejects) when unavailable. */
  ownedRooms(owner: string): Awaitable<number>;

  /**
   * Adds ENTRY to ACCOUNT's direct-message log (ACCOUNT any case; the server calls it once for the
   * addressee and once for the sender when each is an account). Never waits, like append (writes
   * grouped per turn; failures to onError). A no-op when catchupMs is 0, or when ACCOUNT has no
   * device mark: an account that never named a device has nothing to catch up, so nothing is kept.
   */
  logDirect(account: string, entry: DirectEntry): void;
  /** ACCOUNT's logged direct messages with at > SINCE, oldest first, none older than catchupMs; undefined when unavailable. */
  directsSince(account: string, since: number): Awaitable<DirectEntry[] | undefined>;
  /** Remembers that ACCOUNT's device DEVICE (any case) left with MARK. No-op when catchupMs is 0. Throws/rejects on failure. */
  markDevice(account: string, device: string, mark: DeviceMark): Awaitable<void>;
  /** DEVICE's mark, unless older than catchupMs; undefined when there is none. Throws/rejects when unreadable. */
  deviceMark(account: string, device: string): Awaitable<DeviceMark | undefined>;

  /**
   * When ACCOUNT last read TARGET (IRC's read markers, docs/irc.md): TARGET is `#ROOM` for a
   * room, NAME for the direct messages with NAME, both without regard to case; undefined when
   * none was set. Throws (or rejects) when it cannot be read.
   */
  readMarker(account: string, target: string): Awaitable<number | undefined>;
  /**
   * Moves ACCOUNT's read marker of TARGET to AT, unless it is there or later already (a marker
   * never moves back), and answers the one kept. At most READ_MARKERS_MAX per account, the
   * oldest (by their times) dropped first. Throws (or rejects) when it cannot be written, and
   * for an account or a target that is no name.
   */
  setReadMarker(account: string, target: string, at: number): Awaitable<number>;

  /** Writes what is pending and lets go of files and connections. */
  close(): Promise<void>;
}

/** What a store tells the server that runs it (given to the constructor of one that does I/O). */
export interface StoreEvents {
  /** A write that failed: it is logged; the message was already delivered. */
  onError?(err: Error): void;
  /** How long a group of writes took, in ms: the store write latency metric. */
  onWrite?(ms: number): void;
  /** Something the operator should know and the store has mended (a file others could read). */
  onWarning?(message: string): void;
}
