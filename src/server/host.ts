import type { KeyTries } from './command-context.js';
import type { Hub, Member } from '../hub/hub.js';
import type { TokenBucket } from '../protocol/token-bucket.js';
import type { Dialect, Words } from './dialect.js';
import type { CoreOptions } from './options.js';
import type { Outbox } from './outbox.js';
import type { ServerStats } from './stats.js';

/** Where a connection comes from, as its transport hands it over. */
export interface Peer {
  host: string;
  port: number;
  /** The transport's name ('tcp', 'tls', 'udp', 'web'), for the metrics by transport; tcp when absent. */
  transport?: string;
  /**
   * Closing the stream sends what is written and then the end, as ending it would (plain
   * TCP: the kernel sends both). Not TLS, whose end is a message of its own.
   */
  closeEnds?: boolean;
  /** How this listener's connections speak (an IRC port's); the core's default dialect when absent. */
  dialect?: Dialect;
}

/**
 * What a session needs of the chat it belongs to (ChatCore): the core makes sessions and the
 * sessions reach back only through this, so the two form no circle.
 */
export interface SessionHost<S = unknown> {
  readonly options: CoreOptions;
  readonly hub: Hub;
  readonly stats: ServerStats;
  /** The default dialect's words: for what is said to no connection in particular (a reason other servers show). */
  readonly words: Words;
  /** The form (Member.form) of DIALECT's connections whose voice has form 0. */
  formOf(dialect: Dialect): number;
  /** Those of ROOMS where presence is announced, counting LEAVING users more in each (ChatCore.announced). */
  announced(rooms: readonly string[], leaving: number): string[];
  /** NAME's rooms are told that it is away or back, if that is news to them (ChatCore.tellAway). */
  tellAway(name: string): void;
  /** FROM is called TO now: what its rooms were told of its away goes with it (ChatCore.awayRenamed). */
  awayRenamed(from: string, to: string): void;
  /** NAME's away text for rooms it has just joined, counted as told (ChatCore.awayToTell). */
  awayToTell(name: string): string | undefined;
  /** Room keys tried, throttled per address as logins are. */
  readonly keys: KeyTries;
  /** Whether a connection from HOST may open one more room nobody is in (flood control). */
  mayOpenRoom(host: string): boolean;
  /** Writes OUTBOX's held output at the end of this turn, with every other connection's. */
  uncorkLater(outbox: Outbox): void;
  /** Writes OUTBOX's held presence notice within NOTICE_DELAY_MS. */
  flushSoon(outbox: Outbox): void;
  /** The words MEMBER, a connection of this core, is spoken to in. */
  wordsOf(member: Member): Words;
  /**
   * The flood allowance of the account NAME, shared by its devices (a second device is no way
   * around flood control): taken by each device at login and given back (release) as it
   * closes. Undefined when flood control is off.
   */
  accountBucket(name: string): TokenBucket | undefined;
  releaseAccountBucket(name: string): void;
  /** The older connections of NAME's device DEVICE here but NEWCOMER: counted, or closed (CommandContext.replaceDevice). */
  replaceDevice(name: string, device: string, newcomer: S, onlyCount?: boolean): number;
  /**
   * MEMBER, a device of an account of this core, is in ROOM now: another device joined it.
   * It is told so, and given the room's listing (deviceListing) unless LISTING is false.
   */
  deviceJoined(member: Member, room: string, listing?: boolean): void;
  /** The listing a join of MEMBER's dialect comes with (IRC's NAMES), if any. */
  deviceListing(member: Member, room: string): void;
  /** SESSION's stream has closed. */
  forget(session: S): void;
}
