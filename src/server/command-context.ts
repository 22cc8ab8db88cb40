import type { Authenticator } from '../accounts/authenticator.js';
import type { Hub, Member } from '../hub/hub.js';
import type { Store } from '../store/store.js';
import type { Action } from './actions.js';
import type { Words } from './dialect.js';

/** What a handler may read: who is asking, and the users it can route to. */
export interface CommandContext {
  readonly self: Member;
  readonly hub: Hub;
  /** Set on a server that checks passwords (--users). */
  readonly auth: Authenticator | undefined;
  /** The peer's address: failed logins are throttled per address. */
  readonly address: string;
  /** Rooms at most: /join refuses to create one more. */
  readonly maxRooms: number;
  /** Rooms one user may be in at once. */
  readonly maxRoomsPerUser: number;
  /** History, kept messages and bans. */
  readonly store: Store;
  /** The server's clock, in ms since the epoch. */
  readonly now: () => number;
  /** The dialect's words for the answers. */
  readonly w: Words;
  /** Whether this connection's address may open one more room nobody is in (flood control). */
  readonly mayOpenRoom: () => boolean;
  /** --guests: with accounts, a name that is none is anyone's without a password. */
  readonly guests: boolean;
  /** The operator account whose password this connection proved (IRC's OPER), whatever its name. */
  readonly operator: () => string | undefined;
  /** Connections one account may have logged in at once. */
  readonly maxDevices: number;
  /**
   * This server's older connections of NAME's device DEVICE (a ghost: the laptop whose
   * network died): how many (ONLY counting), or, closed, so that its new login takes their
   * place.
   */
  readonly replaceDevice?: (name: string, device: string, onlyCount?: boolean) => number;
  /** Rooms one account may own. */
  readonly maxOwnedRooms: number;
  /** Room keys tried, per address: one at a time, slower after failures (one for the whole core). */
  readonly keys: KeyTries;
  /** The longest line (--max-line), which a new password must fit in at login; default DEFAULT_MAX_LINE. */
  readonly maxLine?: number;
}

/** Most handlers answer at once; a password check answers later. */
export type Outcome = Action[] | Promise<Action[]>;

/**
 * Room keys are guessed no faster than passwords (docs/protocol.md, "Rooms people own"):
 * tries from one ADDRESS run one at a time, slower after failures (AuthThrottle), and a wrong
 * one takes as long as a wrong password. One object for the core: nothing per connection.
 */
export interface KeyTries {
  run<T>(address: string, attempt: () => Promise<T>, signal?: AbortSignal): Promise<T>;
  failed(address: string): void;
  /** Waits as long as a wrong key costs (CoreOptions.keyFailureMs). */
  pad(signal?: AbortSignal): Promise<void>;
}
