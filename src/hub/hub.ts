import type { PresenceEnd } from '../protocol/codes.js';
import type { Awaitable } from '../protocol/awaitable.js';
import type { RoomState } from '../protocol/room-state.js';
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
  /**
   * The form this member gets room events in (HubEvents.render): members of one form share
   * one rendering of each event. 0 when absent.
   */
  readonly form?: number;
}

/** A direct message, as the core means it: each receiver's dialect words it (HubEvents.direct). */
export interface DirectMessage {
  readonly from: string;
  readonly text: string;
  /** As for a room message (RoomEvent). */
  readonly notice?: boolean;
  /**
   * A CTCP request or reply (IRC's `\x01VERSION\x01`), TEXT without its \x01s: only a dialect
   * that has CTCP shows it; to anyone else it is nothing (docs/irc.md).
   */
  readonly ctcp?: boolean;
  /** An invitation to the room TEXT (docs/protocol.md, "Rooms people own"), never kept for later. */
  readonly invite?: boolean;
  /**
   * What FROM sent to SENTTO, for FROM's other devices (docs/protocol.md, "Your account"):
   * sent to FROM itself, never to the device it came from.
   */
  readonly sentTo?: string;
  /** FROM is away with TEXT: the answer to a direct message to FROM (docs/protocol.md, "Away"). */
  readonly away?: boolean;
}

/**
 * A name claim: `unavailable` when the cluster cannot be asked (Redis down). `device`: the
 * name was an account's already online here, and the member is one more of its devices (it
 * is in the account's rooms); `too many devices`: it has the most it may have. `shared`: a
 * rename of a name that devices on other servers hold too (only all of them could move).
 */
export type Claim = 'claimed' | 'device' | 'too many devices' | 'taken' | 'shared' | 'unavailable';

/** Where a registered user is first: docs/protocol.md, "Rooms". */
export const LOBBY = 'lobby';

/**
 * A /join: the room as shown (the case it was created in), and whether the member was in it
 * already (then it only became current). `full`: a new room would be one more than the limit.
 */
export type Join = { room: string; already: boolean; created?: boolean; state?: RoomState; others?: readonly Member[] } | 'full' | 'unavailable';

/**
 * How a member enters a room (Hub.join): FRESH is the room's state should this join create
 * it (the creator its operator, or an owned room's kept state); ACCOUNT whether the member's
 * name is an account's. Joining a room that exists uses up the member's invitation, and takes
 * a name that is no account's out of the operators: the one made operator under it has left
 * (RoomState.ops).
 */
export interface JoinEntry {
  readonly fresh: RoomState;
  readonly account: boolean;
}

/** A room's name as shown, its state and its size; `no such room` when nobody is in it. */
export type RoomInfo = { room: string; state: RoomState; size: number } | 'no such room';

/** A state written over the version it was made from (Hub.setRoomState): `changed` when another came first. */
export type StateWrite = 'set' | 'changed' | 'no such room' | 'unavailable';

/**
 * What changed in a room (RoomEvent 'changed'), as its members are told. A key is never
 * told, only that there is one (docs/protocol.md: keys are never in a reply to anyone else).
 */
export type RoomChange =
  | { readonly what: 'topic'; readonly text: string }
  | { readonly what: 'op' | 'voice'; readonly on: boolean; readonly name: string }
  | { readonly what: 'private' | 'secret' | 'moderated' | 'key' | 'noExternal' | 'topicLock'; readonly on: boolean }
  | { readonly what: 'limit'; readonly limit: number | undefined }
  | { readonly what: 'ban'; readonly on: boolean; readonly mask: string };

/**
 * A /part: the room left, as shown, and the member's current room now (undefined: in no room)
 * when the room left was current; `not in room` when the member was not in it. OTHERS: the
 * account's other devices here, which left it too, each with the same.
 */
export type Part = { room: string; wasCurrent: boolean; current: string | undefined; others?: readonly DeviceLeft[] } | 'not in room';

/** Another device of an account that left a room with it (Part). */
export interface DeviceLeft {
  readonly member: Member;
  readonly wasCurrent: boolean;
  readonly current: string | undefined;
}

/**
 * What the members of rooms are told, as the core means it; each receiver's dialect words it
 * (HubEvents.render), so that the same event reads `<bob> hi` in one's current room and
 * `<bob#dev> hi` in another of one's rooms, and crosses the cluster as meaning, not wording.
 * A `left` REASON is shown as given ('' for none).
 */
export type RoomEvent =
  /** NOTICE: sent as one (IRC's NOTICE); a receiver that has no such thing sees a message. */
  | { readonly kind: 'message'; readonly from: string; readonly text: string; readonly notice?: boolean }
  | { readonly kind: 'joined'; readonly names: readonly string[] }
  /** QUIT: they left the chat, not only these rooms (IRC tells a QUIT from a PART). */
  /** REMOVEDBY: a room operator took them out of the room (`/remove`, IRC's KICK). */
  | { readonly kind: 'left'; readonly names: readonly string[]; readonly reason: string; readonly quit?: boolean; readonly removedBy?: string }
  | { readonly kind: 'renamed'; readonly from: string; readonly to: string }
  /**
   * NAME is away with TEXT now, or (no TEXT) back (docs/protocol.md, "Away"): news only to a
   * receiver that asked (IRC's away-notify); to anyone else it renders as nothing.
   */
  | { readonly kind: 'away'; readonly name: string; readonly text?: string }
  /** BY changed the room: STATE is the room's state after it, for the servers that keep a copy. */
  | { readonly kind: 'changed'; readonly by: string; readonly changes: readonly RoomChange[]; readonly state: RoomState };

/** A room with people in it, for /rooms. */
export interface RoomCount {
  name: string;
  count: number;
  /** Shown to its members only (RoomState: private or secret). */
  hidden?: boolean;
}

/** The users of one room and its state, for /who ROOM; `no such room` when nobody is in it. */
export type RoomListing = { room: string; names: readonly string[]; state: RoomState } | 'no such room';

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
 * An operator's /kick or /ban (docs/protocol.md, "Moderation"): SHOWN is what the user is
 * told before being disconnected (in its dialect's words) and the reason its rooms see
 * (`* NAME left (SHOWN)`).
 */
export type Removal =
  | { readonly shown: string }
  /**
   * A room operator's /remove (IRC's KICK): the user leaves ROOM only, and is told so; the
   * room sees `left` with removedBy.
   */
  | { readonly room: string; readonly by: string; readonly reason: string };

/** What a hub asks of, and tells, the server it serves. */
export interface HubEvents {
  /**
   * Devices of NAME, held here, are held on another server too now (Hub.heldElsewhere): what
   * this server says of the account may change (it is never said to be away).
   */
  shared?(name: string): void;
  /**
   * That NAMES left ROOMS (their rooms, because of WHY) or joined them, for what no session
   * saw: the users of a dead server, users who left while this server was cut off, users
   * back after it had been counted as dead. The event and the rooms among ROOMS where
   * presence is announced (docs/protocol.md, announceMax), or undefined for none. The hub
   * sends it to whom it is news, once to each.
   */
  presence(rooms: readonly string[], names: readonly string[], change: 'left' | 'joined', why?: PresenceEnd): { rooms: string[]; event: RoomEvent } | undefined;
  /**
   * EVENT in ROOM as members of FORM (Member.form) get it: TAGGED when ROOM is not the
   * member's current room (docs/protocol.md, "Rooms"). A Buffer for what many get (a room
   * message, encoded once per form), else a string.
   */
  render(event: RoomEvent, room: string, tagged: boolean, form: number): Buffer | string;
  /** Whether FORM's untagged rendering names the room (IRC's), so that it is made per room. */
  namesRoom?(form: number): boolean;
  /** MESSAGE for MEMBER, a member of this server: worded for it and delivered. */
  direct(member: Member, message: DirectMessage): void;
  /**
   * A member of this server that no longer holds its name (see Eviction): the server tells
   * it why and disconnects it. The hub has told whom it had to; the server announces nothing.
   */
  evicted(member: Member, why: Eviction): void;
  /**
   * MEMBER, a device of an account of this server, is in ROOM now (JOINED), or out of it
   * (CURRENT: its current room when ROOM was), because a device of the account on another
   * server joined or left it: it is told so.
   */
  moved?(member: Member, room: string, joined: boolean, current: string | undefined, removedBy?: { by: string; reason: string }): void;
  /** A member of this server that an operator removed (kick, ban): told, then disconnected, its rooms told. */
  removed(member: Member, removal: Removal): void;
  /**
   * Direct messages FROM sent to TO were answered at once (TO's server was known) and then
   * did not reach the cluster: FROM is told to send them again.
   */
  undelivered?(from: Member, to: string): void;
  /**
   * Messages for MEMBER, a member of this server, may have been lost: the cluster's stream
   * lost entries (a failover, a Redis restarted without its data, a cut-off longer than the
   * stream keeps). Told once for each such event.
   */
  lost?(member: Member): void;
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
  /** Why messages from the other servers are not reaching this one, though connected; undefined while they do. */
  deliveryProblem?(): string | undefined;
  /** LISTENER gets the round trip, in ms, of each entry this server put in the chat and read back. */
  onDelivery?(listener: (ms: number) => void): void;
}

export interface Hub {
  /** The link to the other servers; none for a hub that is the whole chat (MemoryHub). */
  readonly link?: HubLink;
  /**
   * Takes NAME for member, in the lobby (unless LOBBY is false: a dialect whose users pick
   * their rooms, IRC's, starts them in none): `taken` when another member holds it (in any
   * case). With takeOver (the caller has checked the password of NAME's account), a member
   * holding it, on any server, loses it instead: it is evicted ('logged in elsewhere'), and
   * the hub announces it as gone to its room, before the claim is answered. Announced by the
   * hub, not the newcomer: it is said even if the newcomer closes before it is answered.
   */
  claim(name: string, member: Member, takeOver?: boolean, lobby?: boolean, maxDevices?: number): Awaitable<Claim>;
  /** Moves member from oldName to newName: `taken` when another member holds newName; takeOver as for claim. */
  rename(member: Member, oldName: string, newName: string, takeOver?: boolean): Awaitable<Claim>;
  /**
   * Gives NAME back, if member holds it, and takes it out of its rooms. One of several
   * devices of NAME leaves alone: the name and its rooms stay the others'. Answers whether
   * NAME left the chat with it (false: devices of it are left, here or on other servers),
   * at once, or once the cluster has said (devices elsewhere): its rooms are told it left
   * only then. Never waits to take it out here.
   */
  release(name: string, member: Member): Awaitable<boolean>;
  /** The member called NAME on this server, if any (the first of its devices). */
  lookup(name: string): Member | undefined;
  /** NAME's devices on this server, the first first; none when NAME is not held here. */
  devices(name: string): readonly Member[];
  /**
   * Whether devices of NAME, held here, may be held on other servers too (an account on
   * several servers); never, for a hub that is the whole chat.
   */
  heldElsewhere?(name: string): boolean;
  /** NAME as the chat shows it (the case it was registered in), when it is held here. */
  shown(name: string): string | undefined;
  /**
   * Disconnects the user called NAME, on whichever server it is, as an operator asked: every
   * device of it. A room removal goes to its first device, whose part takes the others along.
   */
  remove(name: string, removal: Removal): Awaitable<Delivery>;
  /**
   * Delivers MESSAGE to the user called TO, on whichever server it is, to each of its devices
   * (HubEvents.direct words it there). FROM, the sender, is told later should a message answered `delivered`
   * at once be lost on its way (a cluster that loses Redis as it sends).
   */
  direct(to: string, message: DirectMessage, from?: Member): Awaitable<Delivery>;
  /**
   * Tells EVENT to every member of ROOMS but `except`, on every server, once each however
   * many of ROOMS they share (docs/protocol.md, "Rooms"); NOTICE: a presence notice
   * (Member.notify). `unavailable`: only the members of this server were told.
   */
  toRooms(rooms: readonly string[], event: RoomEvent, except: Member | undefined, notice?: boolean): Awaitable<'delivered' | 'unavailable'>;
  /**
   * Puts member in ROOM, which is created when nobody is in it unless that would make more
   * than MAXROOMS rooms, and makes it member's current room; member stays in its other rooms.
   * The name's other devices here enter it too, behind their current rooms (Join.others).
   */
  join(member: Member, room: string, maxRooms: number, entry?: JoinEntry): Awaitable<Join>;
  /**
   * ROOM's state, as this server knows it (a copy, kept up to date by the room's events,
   * where it has members in it), or FRESH from the cluster; undefined when unavailable.
   * Every change is written over the version it read (setRoomState), so a stale copy is
   * caught there.
   */
  roomState(room: string, fresh?: boolean): Awaitable<RoomInfo | undefined>;
  /** Writes STATE as ROOM's if its state is still at version FROM; the members are told by the caller. */
  setRoomState(room: string, from: number, state: RoomState): Awaitable<StateWrite>;
  /**
   * Takes member, and the name's other devices here, out of ROOM. Never waits: the cluster is
   * told behind it. REMOVEDBY: a room operator's removal (its devices elsewhere are told so).
   */
  part(member: Member, room: string, removedBy?: { by: string; reason: string }): Part;
  /**
   * The rooms member is in, as shown: its current room first, then the others, most
   * recently made current first. Empty for a member in no room, or that holds no name.
   */
  roomsOf(member: Member): readonly string[];
  /** Users in ROOM over the whole chat, as last known: it decides whether presence is announced. */
  roomSize(room: string): number;
  /** The users in ROOM, sorted without regard to case; undefined when unavailable. */
  roomNames(room: string): Awaitable<RoomListing | undefined>;
  /** The rooms with people in them, sorted by name without regard to case; undefined when unavailable. */
  rooms(): Awaitable<readonly RoomCount[] | undefined>;
  /** Tells EVENT to the members of ROOMS on other servers only; nothing when this hub is the whole chat. */
  elsewhere(rooms: readonly string[], event: RoomEvent): void;
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
