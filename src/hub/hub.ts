import type { PresenceEnd } from '../protocol/codes.js';
import type { Awaitable } from '../protocol/awaitable.js';
/**
 * Routing between the users of a chat, behind a small interface (STYLE.md, point 8): the
 * in-memory hub serves one process; the Redis hub joins several servers into one chat.
 * Both pass the same contract tests (test/hub/contract.ts).
 *
 * What a single process can answer at once comes back as a plain value; what needs the
 * cluster comes back as a promise. Callers handle both (see `after`), so the in-memory
 * path never pays for a promise.
 */
export interface Member {
  /** The registered name, in the case it was registered; undefined before registration. */
  readonly name: string | undefined;
  /** Aborted once the member's connection has closed: work for it is cancelled. */
  readonly signal?: AbortSignal;
  /**
   * Queues wire bytes (one or more LF-terminated lines) for this member's connection. A string
   * is UTF-8: what one member gets (a direct message, a reply) goes as a string, which the
   * socket copies with the rest of its turn's output; what many get (a room message) is
   * encoded once, as a Buffer.
   */
  deliver(bytes: Buffer | string): void;
  /**
   * Like deliver, for a presence notice, which may wait a moment (NOTICE_DELAY_MS) to go out
   * with this member's other output: at thousands of joins and leaves a second, a write per
   * member per notice was most of what a connection cost. Order is kept: whatever is
   * delivered meanwhile takes the notice along. Without it, deliver is used.
   */
  notify?(text: Buffer | string): void;
}

/** A name claim: `unavailable` when the cluster cannot be asked (Redis down). */
export type Claim = 'claimed' | 'taken' | 'unavailable';

/** Where a registered user is first: docs/protocol.md, "Rooms". */
export const LOBBY = 'lobby';

/**
 * A move to another room: the room as shown (the case it was created in) and the room left,
 * or `from` undefined when the member was there already. `full`: a new room would be one
 * more than the limit.
 */
export type Join = { room: string; from: string | undefined } | 'full' | 'unavailable';

/** A room with people in it, for /rooms. */
export interface RoomCount {
  name: string;
  count: number;
}

/** The users of one room, for /who ROOM; `no such room` when nobody is in it. */
export type RoomListing = { room: string; names: readonly string[] } | 'no such room';

/**
 * Why a member lost its name without asking: another server took it while this one was
 * cut off, or a newer login of the same account took it back.
 */
export type Eviction = 'taken during an outage' | 'logged in elsewhere';

/**
 * Where a direct message went: handed on (to the user, or to the stream its server reads),
 * to nobody by that name, or not sent (the cluster cannot be reached).
 */
export type Delivery = 'delivered' | 'no such user' | 'unavailable';

/**
 * An operator's /kick or /ban (docs/protocol.md, "Moderation"): LINE is what the user is told
 * before being disconnected, SHOWN the reason its room sees (`* NAME left (SHOWN)`).
 */
export interface Removal {
  line: string;
  shown: string;
}

/** What a hub asks of, and tells, the server it serves. */
export interface HubEvents {
  /**
   * The lines that announce that NAMES left ROOM (with REASON) or joined it, or undefined
   * while presence is not announced there (docs/protocol.md, announceMax). For what no session
   * saw: the users of a dead server, users who left while this server was cut off, users
   * back after it had been counted as dead. The hub sends them to whom they are news.
   */
  presence(room: string, names: string[], change: 'left' | 'joined', why?: PresenceEnd): Buffer | string | undefined;
  /**
   * A member of this server that no longer holds its name (see Eviction): the server tells
   * it why and disconnects it. The hub has told whom it had to; the server announces nothing.
   */
  evicted(member: Member, why: Eviction): void;
  /** A member of this server that an operator removed (kick, ban): told, then disconnected, its room told. */
  removed(member: Member, removal: Removal): void;
  /**
   * Direct messages FROM sent to TO were answered at once (TO's server was known) and then
   * did not reach the cluster: FROM is told to send them again.
   */
  undelivered?(from: Member, to: string): void;
  /** Something the operator should know: an outage (an error), a recovery (a notice). */
  log(message: string, level: 'notice' | 'error'): void;
}

/** A hub's link to the rest of the chat (Redis), for the operator's health check and metrics. */
export interface HubLink {
  /** In the chat (true) or cut off from it. */
  readonly connected: boolean;
  /** Where it links to, as given (may hold a password: redact before showing it). */
  readonly url: string;
  /** The round trip of one PING, in ms. */
  roundTrip(): Promise<number>;
}

export interface Hub {
  /** The link to the other servers; none for a hub that is the whole chat (MemoryHub). */
  readonly link?: HubLink;
  /**
   * Takes NAME for member, in the lobby: `taken` when another member holds it (in any
   * case). With takeOver (the caller has checked the password of NAME's account), a member
   * holding it, on any server, loses it instead: it is evicted ('logged in elsewhere'), and
   * the hub announces it as gone to its room, before the claim is answered. Announced by the
   * hub, not the newcomer: it is said even if the newcomer closes before it is answered.
   */
  claim(name: string, member: Member, takeOver?: boolean): Awaitable<Claim>;
  /** Moves member from oldName to newName: `taken` when another member holds newName; takeOver as for claim. */
  rename(member: Member, oldName: string, newName: string, takeOver?: boolean): Awaitable<Claim>;
  /** Gives NAME back, if member holds it, and takes it out of its room. Never waits. */
  release(name: string, member: Member): void;
  /** The member called NAME on this server, if any. */
  lookup(name: string): Member | undefined;
  /** Disconnects the user called NAME, on whichever server it is, as an operator asked. */
  remove(name: string, removal: Removal): Awaitable<Delivery>;
  /**
   * Delivers BYTES to the user called TO, on whichever server it is. FROM, the sender, is
   * told later should a message answered `delivered` at once be lost on its way (a cluster
   * that loses Redis as it sends).
   */
  direct(to: string, bytes: Buffer | string, from?: Member): Awaitable<Delivery>;
  /**
   * Sends the same bytes to every member of ROOM but `except`, on every server.
   * `unavailable`: only the members of this server got them.
   */
  toRoom(room: string, bytes: Buffer | string, except: Member | undefined, notice?: boolean): Awaitable<'delivered' | 'unavailable'>;
  /**
   * Moves member to ROOM, which is created when nobody is in it, unless that would make more
   * than MAXROOMS rooms.
   */
  join(member: Member, room: string, maxRooms: number): Awaitable<Join>;
  /** The room member is in, as shown; undefined for a member that holds no name. */
  roomOf(member: Member): string | undefined;
  /** Users in ROOM over the whole chat, as last known: it decides whether presence is announced. */
  roomSize(room: string): number;
  /** The users in ROOM, sorted without regard to case; undefined when unavailable. */
  roomNames(room: string): Awaitable<RoomListing | undefined>;
  /** The rooms with people in them, sorted by name without regard to case; undefined when unavailable. */
  rooms(): Awaitable<readonly RoomCount[] | undefined>;
  /** Sends bytes to the members of ROOM on other servers only; nothing when this hub is the whole chat. */
  elsewhere(room: string, bytes: Buffer | string): void;
  /** Registered names over the whole chat, sorted without regard to case; undefined when unavailable. */
  names(): Awaitable<readonly string[] | undefined>;
  /** Users online over the whole chat, as last known: it decides whether presence is announced. */
  readonly size: number;
  /** Called once by the core the hub serves; the core owns the hub from then on. */
  attach(events: HubEvents): void;
  /** Joins the chat, if the hub needs to (connecting to Redis): before the port opens. */
  start?(): Promise<void>;
  /** Leaves the chat: this server's names are freed at once. */
  close(): Promise<void>;
}
