/**
 * What the IRC dialect knows of the server it speaks for (src/app/ gives it): its name in
 * replies, the clock for `server-time`, the accounts for `account-tag` and OPER, and the
 * counts LUSERS reports.
 */
export interface IrcContext {
  /** The server's name in replies (--server-name). */
  readonly serverName: string;
  /** The package's version, for 002, 004 and VERSION. */
  readonly version: string;
  /** Milliseconds since the epoch. */
  now(): number;
  /** Whether NAME is an account's (and so logged in with its password, when online). */
  isAccount(name: string): boolean;
  /** Users online over the whole chat, as last known. */
  users(): number;
  /** The most users online at once since this server started, as far as it saw. */
  maxUsers(): number;
  /** Rooms with people in them, as far as this server knows. */
  rooms(): number;
  /** The away text of NAME, a user of this server (every one of its devices here away), or undefined (docs/protocol.md, "Away"). */
  awayOf(name: string): string | undefined;
  /** Whether the server has accounts at all (then SASL is offered). */
  readonly accounts: boolean;
}

/** A user's source in IRC lines: nick!user@host. Our names are the nick and the user; the host is the same for all. */
export { userMask as sourceOf } from '../../protocol/glob.js';

/** ISO 8601 in UTC with milliseconds, as IRCv3's server-time says. */
export const isoTime = (ms: number): string => new Date(ms).toISOString();
