import { PrivmsgHeads } from './heads.js';
import type { IrcState } from './state.js';

/** Nicks that left, kept for WHOWAS: the last ones only. */
const WHOWAS_MAX = 256;

/** What WHOWAS tells of a nick that left. */
export interface Was {
  readonly nick: string;
  readonly user: string;
  readonly realname: string;
}

/**
 * The IRC users of this server, by nick (without regard to case), for what only IRC knows of
 * them: their user name and real name (USER), OPER. WHO, WHOIS and USERHOST show them;
 * a user of the line protocol, or of another server, has none of these.
 */
export class IrcRegistry {
  readonly #users = new Map<string, IrcState>();
  readonly #was: Was[] = [];
  /** The heads of direct messages to this server's IRC users, by sender. */
  readonly heads = new PrivmsgHeads();

  get(nick: string): IrcState | undefined {
    return this.#users.get(nick.toLowerCase());
  }

  /** STATE is now called NICK (registered, or renamed from OLD). */
  named(state: IrcState, nick: string, old?: string): void {
    if (state.closed) return;
    if (old !== undefined && this.#users.get(old.toLowerCase()) === state) {
      this.#users.delete(old.toLowerCase());
      this.#left(state, old);
    }
    this.#users.set(nick.toLowerCase(), state);
  }

  /** STATE's name was claimed and then refused (a ban written meanwhile): it holds none. */
  unnamed(state: IrcState): void {
    const nick = state.nick;
    if (nick !== undefined && this.#users.get(nick.toLowerCase()) === state) this.#users.delete(nick.toLowerCase());
  }

  /** STATE's connection closed. */
  closed(state: IrcState): void {
    state.closed = true;
    const nick = state.nick;
    if (!state.registered || nick === undefined || this.#users.get(nick.toLowerCase()) !== state) return;
    this.#users.delete(nick.toLowerCase());
    this.#left(state, nick);
  }

  #left(state: IrcState, nick: string): void {
    this.#was.push({ nick, user: state.username, realname: state.realname });
    if (this.#was.length > WHOWAS_MAX) this.#was.shift();
  }

  /** The last COUNT (all when 0 or less) of NICK's past entries, newest first. */
  was(nick: string, count: number): Was[] {
    const key = nick.toLowerCase();
    const found = this.#was.filter((w) => w.nick.toLowerCase() === key).reverse();
    return count > 0 ? found.slice(0, count) : found;
  }
}
