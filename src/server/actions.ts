import type { Member, RoomEvent } from '../hub/hub.js';
import type { Words } from './dialect.js';
import type { Command } from './command.js';
import type { RefusalCode } from '../protocol/codes.js';

/**
 * What a handler wants done. Handlers return these and the session carries them out
 * (STYLE.md, point 5), so handlers are tested without any I/O.
 */
export type Action =
  /** A line to this connection. */
  | { kind: 'reply'; line: string }
  /** A direct message from FROM to the user called TO, on whichever server it is; kept if TO is an account offline. */
  | { kind: 'direct'; to: string; from: string; text: string; notice?: boolean; ctcp?: boolean }
  /** FROM's TEXT to every other user in ROOM, and to its history. */
  /** UNKEPT: not written to the room's history (a private room nobody owns). */
  | { kind: 'room'; room: string; from: string; text: string; notice?: boolean; unkept?: boolean }
  /** This connection proved an operator account's password (IRC's OPER): it acts as an operator. */
  | { kind: 'operator'; account: string }
  /** This connection is away with TEXT, or (undefined) back: a direct message to it is answered so (docs/protocol.md, "Away"). */
  | { kind: 'away'; text: string | undefined }
  /** At login: the messages kept for NAME while it was away, removed once written. */
  | { kind: 'kept'; name: string }
  /**
   * EVENT to the others in ROOMS (default: all of this connection's rooms), once each, in
   * those of them that have at most announceMax users (docs/protocol.md). `leaving`: the event
   * says this user left, so it is counted with them, as their join was: both are announced
   * or neither is.
   */
  | { kind: 'presence'; event: RoomEvent; rooms?: readonly string[]; leaving?: boolean }
  /** An operator's action, for the server's log (who, whom, why). */
  | { kind: 'moderation'; action: 'kick' | 'ban' | 'unban'; name: string; reason: string; until?: number }
  /** Input that was refused, for the server's log. */
  | { kind: 'reject'; code: RefusalCode; detail?: string }
  /**
   * ACCOUNT: the name is an account's, its password checked: the connection shares the
   * account's flood allowance. DEVICE: the name this device gave itself (its catch-up).
   */
  | { kind: 'registered'; name: string; account?: boolean; device?: string }
  /**
   * At a named device's login, after its kept messages: what it missed since it last left
   * (catch-up.ts). REJOIN: the account was not online, and the device goes back to its rooms.
   */
  | { kind: 'catchUp'; name: string; device: string; rejoin: boolean }
  /** The account's other devices MEMBERS are in ROOM now, with this one: each is told (SessionHost.deviceJoined). */
  | { kind: 'devicesJoined'; members: readonly Member[]; room: string }
  /** Their listing of ROOM, where a join comes with one (IRC's NAMES), after their read markers. */
  | { kind: 'devicesListed'; members: readonly Member[]; room: string }
  /** This connection handles CMD now, as if it had sent it (a listing that goes with another answer). */
  | { kind: 'perform'; cmd: Command }
  /** Lines for other connections of this account (its other devices), each in its own words. */
  | { kind: 'tell'; members: readonly Member[]; say: (w: Words) => readonly string[] }
  /** After JOINs: ROOMS' read markers, to this connection (or MEMBERS, its other devices) if it asked to be told (read-markers.ts). */
  | { kind: 'readMarkers'; rooms: readonly string[]; members?: readonly Member[] }
  /** ACCOUNT, DEVICE: as for `registered`, the new name's. */
  | { kind: 'renamed'; from: string; to: string; account?: boolean; device?: string }
  /** NAME, claimed for this connection, is given back unused (a ban found after the claim). */
  | { kind: 'giveBack'; name: string }
  /** A wrong name or password: the session counts them and closes after too many. */
  | { kind: 'authFailed' }
  /** Leave: the connection is closed after the replies before it are sent. */
  | { kind: 'quit'; reason: string }
  /** EVENT told to everyone in ROOM, the asker too, whatever the room's size (a change of the room). */
  | { kind: 'roomEvent'; room: string; event: RoomEvent }
  /** TO, wherever its server, is invited to ROOM; the asker is told it was, or that TO is gone. */
  | { kind: 'invitation'; to: string; room: string };

export const reply = (line: string): Action => ({ kind: 'reply', line });
export const reject = (code: RefusalCode, detail?: string): Action => (detail === undefined ? { kind: 'reject', code } : { kind: 'reject', code, detail });
