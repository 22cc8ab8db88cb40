import { globMatcher } from '../../protocol/glob.js';
import { isHidden, ROOM_LIST_MAX, TOPIC_MAX, type RoomState, type Topic } from '../../protocol/room-state.js';
import type { CatchUpEntry, HistoryTarget, RoomView, Words } from '../../server/dialect.js';
import type { Conversation } from '../../server/command.js';
import { HISTORY_MAX } from '../../protocol/history-limits.js';
import type { PasswordRefusal, PresenceEnd } from '../../protocol/codes.js';
import { NAME_MAX } from '../../protocol/names.js';
import * as line from '../line/wording.js';
import { isoTime, sourceOf, type IrcContext } from './context.js';
import type { IrcRegistry } from './registry.js';
import type { IrcState } from './state.js';
import type { RoomEvent } from '../../hub/hub.js';
import { AWAY_MAX } from '../../protocol/away.js';
import { REASON_MAX } from '../../protocol/cut-to-bytes.js';
import { hasTags, renderIrc, tagsFor } from './render.js';
import { LINE_MAX, messageLines } from './split.js';
import { fromAction } from './text.js';
import { inBatch } from './chathistory.js';

/**
 * Lines as the core sends them: it adds an LF to each answer, so each line of ours ends in
 * CR and several are joined with CRLF; '' says nothing (Session.send).
 */
export const out = (...lines: string[]): string => lines.map((l) => `${l}\r`).join('\n');

/** HELP's subjects (docs/irc.md has the whole mapping). */
export const HELP: Readonly<Record<string, readonly string[]>> = {
  INDEX: [
    'tcp-chat: a chat that nc, chat-client and IRC users share.',
    'JOIN #ROOM, PART #ROOM, PRIVMSG #ROOM|NICK :TEXT, NOTICE, NAMES, LIST, WHO, WHOIS, NICK, AWAY, QUIT;',
    'channel operators (whoever made the channel): TOPIC, MODE, INVITE, KICK;',
    'operators: OPER NAME PASSWORD, KILL NICK [:REASON]; history: CHATHISTORY, MARKREAD. HELP COMMAND for one of them.',
  ],
  JOIN: ['JOIN #ROOM[,#ROOM...] [KEY[,KEY...]]: join rooms, creating those nobody is in; KEY for a channel that has one.'],
  TOPIC: ['TOPIC #ROOM: its topic. TOPIC #ROOM :TEXT sets it (channel operators), TOPIC #ROOM : clears it.'],
  MODE: [
    'MODE #ROOM: its modes. MODE #ROOM +o|-o NICK, +v|-v NICK, +i|-i (invitation only, unlisted), +k KEY|-k,',
    '+l N|-l, +m|-m, +s|-s, +b MASK|-b MASK (MODE #ROOM b lists them), -n|+n, -t|+t: channel operators.',
    'MODE NICK +i|-i: invisible to WHO masks.',
  ],
  INVITE: ['INVITE NICK #ROOM: tells NICK of the channel; from a channel operator, lets NICK in past +i, +k, +l and +b once.'],
  KICK: ['KICK #ROOM NICK[,NICK...] [:REASON]: (channel operators) take NICK out of the channel.'],
  PART: ['PART #ROOM[,#ROOM...] [:REASON]: leave rooms.'],
  PRIVMSG: ['PRIVMSG #ROOM :TEXT to a room you are in; PRIVMSG NICK :TEXT to one user, of IRC or not.'],
  NOTICE: ['NOTICE TARGET :TEXT: as PRIVMSG, never answered.'],
  NAMES: ['NAMES #ROOM: who is in ROOM.'],
  LIST: ['LIST: the rooms and how many are in each.'],
  WHO: ['WHO #ROOM, WHO NICK or WHO MASK (* and ?): who they are.'],
  WHOIS: ['WHOIS NICK: whether NICK is online, and where.'],
  NICK: ['NICK NEW: change your name; an account name needs its password.'],
  AWAY: ['AWAY :TEXT marks you away; AWAY alone, back.'],
  QUIT: ['QUIT [:REASON]: leave the chat.'],
  OPER: ["OPER NAME PASSWORD: an operator account's name and password make you an operator."],
  KILL: ['KILL NICK [:REASON]: (operators) disconnect NICK, whatever it speaks.'],
  CHATHISTORY: [
    'CHATHISTORY LATEST|BEFORE|AFTER|AROUND #ROOM|NICK timestamp=TIME|* N, BETWEEN #ROOM|NICK timestamp=A timestamp=B N:',
    'at most N (100) messages of a channel you are in, or of your direct messages with NICK. TARGETS timestamp=A timestamp=B N: where you talked.',
  ],
  MARKREAD: ['MARKREAD #ROOM|NICK [timestamp=TIME]: when you last read it, or set it (never back); your other connections are told.'],
};

export { globMatcher };

/** WHO MASK's replies at most: `WHO *` on a chat of thousands is one screen, not thousands. */
const WHO_MAX = 200;

/** A line-protocol wording's text without its mark (`* `, `! `): for a NOTICE. */
const plain = (worded: string): string => worded.slice(2);

/** Rooms a user may be in at once, for ISUPPORT's CHANLIMIT. */
export interface Limits {
  readonly maxRoomsPerUser: number;
}

/**
 * Everything the core says, as IRC replies to one connection (Words): numerics name their
 * receiver, so these are per connection (Dialect.voice), reading its state.
 */
export class IrcWords implements Words {
  readonly #ctx: IrcContext;
  readonly #state: IrcState;
  readonly #limits: Limits;
  readonly #users: IrcRegistry;

  constructor(ctx: IrcContext, state: IrcState, limits: Limits, users: IrcRegistry) {
    this.#ctx = ctx;
    this.#state = state;
    this.#limits = limits;
    this.#users = users;
  }

  /** A numeric reply: `:SERVER CODE NICK PARAMS... :TRAILING`. */
  num(code: string, ...params: string[]): string {
    const last = params.length > 0 ? params.pop()! : undefined;
    // A middle parameter never starts with ':' nor is empty (it would read as the last one).
    const middle = params.length > 0 ? ` ${params.map((p) => (p === '' || p.startsWith(':') || p.includes(' ') ? '*' : p)).join(' ')}` : '';
    return `:${this.#ctx.serverName} ${code} ${this.target}${middle}${last === undefined ? '' : ` :${last}`}`;
  }

  /** Whom replies are to: the nick once registered, `*` before (RFC 2812). */
  get target(): string {
    return this.#state.registered ? (this.#state.nick ?? '*') : '*';
  }

  /** IRCv3 standard replies' FAIL for COMMAND: CODE, then PARAMS, the last one the text. */
  fail(command: string, code: string, ...params: string[]): string {
    const text = params.pop() ?? '';
    const middle = params.map((p) => (p === '' || p.startsWith(':') || p.includes(' ') ? '*' : p));
    return `:${this.#ctx.serverName} FAIL ${[command, code, ...middle].join(' ')} :${text}`;
  }

  /** A NOTICE from the server to this connection: several lines for a long one (a history entry, a list of bans). */
  notice(text: string): string {
    return messageLines('', `:${this.#ctx.serverName} NOTICE ${this.target} :`, text);
  }

  /** A line from the server itself that ends the connection. */
  error(text: string): string {
    return `ERROR :Closing Link: ${text}`;
  }

  /** This connection's own source. */
  get me(): string {
    return sourceOf(this.#state.nick ?? '*');
  }

  #tags(from: string | undefined, at?: number): string {
    return tagsFor(this.#ctx, this.#state.form, from, at);
  }

  /**
   * A message of FROM (at AT) to TARGET as its PRIVMSG or NOTICE lines: one, or several for a
   * text longer than an IRC line (split.ts), joined by CRLF, the last without it.
   */
  #message(from: string, command: 'PRIVMSG' | 'NOTICE', target: string, text: string, at?: number): string {
    return messageLines(this.#tags(from, at), `:${sourceOf(from)} ${command} ${target} :`, text);
  }

  // Room events as the core words them for the line protocol: IRC's come from render.ts, so
  // these say the same (the core calls them for no IRC connection).
  #rendered(event: RoomEvent, room = '*'): string {
    const rendered = renderIrc(this.#ctx, event, room, this.#state.form);
    return (typeof rendered === 'string' ? rendered : rendered.toString()).slice(0, -1);
  }
  roomMessage(from: string, text: string, room?: string): string {
    return this.#rendered({ kind: 'message', from, text }, room);
  }
  // Every direct message to an IRC user comes through here.
  directMessage(from: string, text: string, notice = false, ctcp = false): string {
    const nick = this.#state.nick ?? '*';
    // The commonest line of all, for a connection without tags: as #message makes it, without
    // its calls (messageLines' own test: a text this short is one line).
    if (!notice && !ctcp && !hasTags(this.#state.form) && text.charCodeAt(0) !== 0x2f) {
      const head = this.#users.heads.of(from);
      if ((head.length + nick.length + 2 + text.length) * 3 <= LINE_MAX) return `${head}${nick} :${text}\r`;
    }
    // As out() would make it, without its arrays: a message to one user, one of the commonest lines.
    return `${this.#message(from, notice ? 'NOTICE' : 'PRIVMSG', nick, ctcp ? `\x01${text}\x01` : fromAction(text))}\r`;
  }
  // The echo (echo-message) is cut as the others get the message: the sender sees what they see.
  ownRoomMessage(room: string, text: string, notice: boolean, at?: number): string | undefined {
    if (!this.#state.echo) return undefined;
    return out(this.#message(this.#state.nick ?? '*', notice ? 'NOTICE' : 'PRIVMSG', `#${room}`, fromAction(text), at));
  }
  ownDirectMessage(to: string, text: string, notice: boolean, ctcp: boolean, at?: number): string | undefined {
    if (!this.#state.echo) return undefined;
    return out(this.#message(this.#state.nick ?? '*', notice ? 'NOTICE' : 'PRIVMSG', to, ctcp ? `\x01${text}\x01` : fromAction(text), at));
  }

  /**
   * A login refused, maybe after its name was won and its welcome made (commands.ts,
   * stillNotBanned): this connection is not registered.
   */
  #refused(): void {
    const s = this.#state;
    s.registering = false;
    if (!s.registered) return;
    this.#users.unnamed(s);
    s.registered = false;
  }

  // The client speaks first: nothing is said at connect.
  connected(): string {
    return '';
  }
  greeting(): string {
    return '';
  }

  /** The welcome burst: 001-005, LUSERS, MOTD (docs/irc.md, "Registration"). */
  registered(name: string): string {
    const s = this.#state;
    const asked = s.nick;
    s.nick = name;
    s.registered = true;
    s.registering = false;
    this.#users.named(s, name);
    const server = this.#ctx.serverName;
    const lines: string[] = [];
    // Registered under another name than the nick asked for (SASL's account): told as a change.
    if (asked !== undefined && asked !== name) lines.push(`:${sourceOf(asked)} NICK :${name}`);
    lines.push(
      this.num('001', `Welcome to the chat, ${sourceOf(name)}`),
      this.num('002', `Your host is ${server}, running version tcp-chat-${this.#ctx.version}`),
      this.num('003', 'This server was created when it started'),
      this.num('004', server, `tcp-chat-${this.#ctx.version}`, 'io', 'nt'),
      ...this.isupport(),
      ...this.lusers(),
      this.num('422', 'MOTD File is missing'),
    );
    return out(...lines);
  }

  /** RPL_ISUPPORT (005): what this server is, truthfully (docs/irc.md). */
  isupport(): string[] {
    const tokens = [
      'CASEMAPPING=ascii',
      'CHANTYPES=#',
      `NICKLEN=${NAME_MAX}`,
      `CHANNELLEN=${NAME_MAX + 1}`,
      `CHANLIMIT=#:${this.#limits.maxRoomsPerUser}`,
      'PREFIX=(ov)@+',
      'CHANMODES=b,k,l,imnst',
      `MAXLIST=b:${ROOM_LIST_MAX}`,
      `TOPICLEN=${TOPIC_MAX}`,
      'TARGMAX=PRIVMSG:4,NOTICE:4,KICK:4,NAMES:1,WHOIS:1',
      'MAXTARGETS=4',
      'NETWORK=tcp-chat',
      'STATUSMSG=',
      'MODES=4',
      `KICKLEN=${REASON_MAX}`,
      `AWAYLEN=${AWAY_MAX}`,
      'UTF8ONLY',
      // draft/chathistory: messages are named by their times alone (chathistory.ts).
      `CHATHISTORY=${HISTORY_MAX}`,
      'MSGREFTYPES=timestamp',
    ];
    // At most 13 tokens a line: with the nick and the trailing text, 15 parameters.
    const lines: string[] = [];
    for (let i = 0; i < tokens.length; i += 13) lines.push(this.num('005', ...tokens.slice(i, i + 13), 'are supported by this server'));
    return lines;
  }

  lusers(): string[] {
    const users = this.#ctx.users();
    const max = this.#ctx.maxUsers();
    return [
      this.num('251', `There are ${users} users and 0 invisible on 1 servers`),
      this.num('252', '0', 'operator(s) online'),
      this.num('254', String(this.#ctx.rooms()), 'channels formed'),
      this.num('255', `I have ${users} clients and 1 servers`),
      this.num('265', String(users), String(max), `Current local users ${users}, max ${max}`),
      this.num('266', String(users), String(max), `Current global users ${users}, max ${max}`),
    ];
  }

  youAreNow(name: string): string {
    const old = this.#state.nick;
    // The same nick again: nothing happened (a change of case is a change).
    if (old === name) return '';
    this.#state.nick = name;
    this.#users.named(this.#state, name, old);
    return out(`${this.#tags(old)}:${sourceOf(old ?? name)} NICK :${name}`);
  }
  joined(name: string, room?: string): string {
    return this.#rendered({ kind: 'joined', names: [name] }, room);
  }
  renamed(oldName: string, newName: string): string {
    return this.#rendered({ kind: 'renamed', from: oldName, to: newName });
  }
  left(name: string, reason?: string, room?: string): string {
    return this.#rendered({ kind: 'left', names: [name], reason: reason ?? '' }, room);
  }
  leftBecause(why: PresenceEnd): string {
    return line.leftBecause(why);
  }
  mayNotBeDelivered(name: string): string {
    return out(this.notice(plain(line.mayNotBeDelivered(name))));
  }
  mayHaveLost(): string {
    return out(this.notice(plain(line.mayHaveLost())));
  }

  /** AS: `ison NAMES`, `who NICK` or undefined (docs/irc.md). */
  online(names: readonly string[], as?: string): string {
    const [how = '', ...asked] = (as ?? '').split(' ');
    const here = new Map(names.map((n) => [n.toLowerCase(), n]));
    if (how === 'ison') {
      // As many as one line of 512 bytes holds.
      const found = asked.map((n) => here.get(n.toLowerCase())).filter((n): n is string => n !== undefined);
      let shown = '';
      for (const n of found) if (shown.length + n.length < 380) shown += shown === '' ? n : ` ${n}`;
      return out(this.num('303', shown));
    }
    if (how === 'who') {
      const mask = asked[0] ?? '*';
      const matches = globMatcher(mask);
      // An invisible user (+i) answers to its nick, or to a mask asked by someone in one of its channels.
      const exact = !mask.includes('*') && !mask.includes('?');
      const found = names.filter((n) => matches(n) && (exact || this.#visible(n))).slice(0, WHO_MAX);
      return out(...found.map((n) => this.#whoLine('*', n)), this.num('315', mask, 'End of WHO list'));
    }
    if (how === 'userhost') {
      const found = asked.map((n) => here.get(n.toLowerCase())).filter((n): n is string => n !== undefined);
      return out(this.num('302', found.map((n) => this.#userhost(n)).join(' ')));
    }
    return out(this.notice(plain(line.online(names))));
  }

  /** Whether NAME shows in a WHO mask: not invisible (+i), or sharing a channel with this connection. */
  #visible(name: string): boolean {
    const irc = this.#users.get(name);
    if (irc?.invisible !== true) return true;
    for (const room of irc.joined.keys()) if (this.#state.joined.has(room)) return true;
    return false;
  }

  /** RPL_WHOREPLY: flags H (here) or G (gone: away), then * for an operator, then the room's marks (`@`, `+`). */
  #whoLine(channel: string, name: string, marks = ''): string {
    const irc = this.#users.get(name);
    const flags = `${this.#ctx.awayOf(name) === undefined ? 'H' : 'G'}${this.#isOperator(name) ? '*' : ''}${marks}`;
    return this.num('352', channel, irc?.username || name, 'chat', this.#ctx.serverName, name, flags, `0 ${irc?.realname || name}`);
  }

  /** USERHOST's reply for NAME: `*` after an operator, `-` for one away. */
  #userhost(name: string): string {
    const irc = this.#users.get(name);
    return `${name}${this.#isOperator(name) ? '*' : ''}=${this.#ctx.awayOf(name) === undefined ? '+' : '-'}${irc?.username || name}@chat`;
  }

  /** An operator: an IRC user of this server after OPER (what other dialects' users are, IRC does not see). */
  #isOperator(name: string): boolean {
    return this.#users.get(name)?.operator === true;
  }

  // AWAY (docs/irc.md): RPL_NOWAWAY, RPL_UNAWAY, and RPL_AWAY to whoever writes to one away.
  youAreAway(): string {
    return out(this.num('306', 'You have been marked as being away'));
  }
  youAreBack(): string {
    return out(this.num('305', 'You are no longer marked as being away'));
  }
  isAway(name: string, text: string): string {
    return out(this.num('301', name, text));
  }
  // An operator account logged in (SASL, PASS) is an operator without OPER: told as OPER tells it.
  youAreOperator(): string {
    const s = this.#state;
    s.operator = true;
    return out(this.num('381', 'You are now an IRC operator'), `:${this.me} MODE ${s.nick} :+o`);
  }
  pong(token: string): string {
    return out(`:${this.#ctx.serverName} PONG ${this.#ctx.serverName} :${token}`);
  }

  /** A room joined (or made current: IRC has no current room, so nothing when it is joined already). */
  youAreIn(room: string): string {
    const key = room.toLowerCase();
    if (this.#state.joined.has(key)) return '';
    this.#state.joined.set(key, room);
    return out(`${this.#tags(this.#state.nick)}:${this.me} JOIN #${room}`);
  }
  youLeft(room: string, reason = ''): string {
    this.#state.joined.delete(room.toLowerCase());
    return out(`${this.#tags(this.#state.nick)}:${this.me} PART #${room}${reason === '' ? '' : ` :${reason}`}`);
  }
  yourRooms(rooms: readonly string[]): string {
    return out(this.notice(plain(line.yourRooms(rooms))));
  }
  inNoRoom(): string {
    return out(this.notice(plain(line.inNoRoom())));
  }
  notInRoom(room: string): string {
    return out(this.num('442', `#${room}`, "You're not on that channel"));
  }
  historyNotMember(room: string): string {
    return out(this.num('442', `#${room}`, "You're not on that channel"));
  }
  cannotSendTo(room: string, moderated?: boolean): string {
    return out(this.num('404', `#${room}`, moderated === true ? 'Cannot send to channel (+m)' : 'Cannot send to channel'));
  }
  serverRoomsFull(max: number, room?: string): string {
    return out(this.num('405', `#${room ?? '*'}`, `The server has too many channels (max ${max})`));
  }

  /**
   * AS: `names`, `join` (only for a room just joined: the JOIN's names), `who`, `modes` (324
   * and 329) or `bans` (367, 368): what IRC asks of an existing channel (docs/irc.md).
   */
  inRoom(room: string, names: readonly string[], as?: string, view?: RoomView): string {
    const prefix = (n: string): string => {
      if (view === undefined) return '';
      const op = view.isOp(n) ? '@' : '';
      const voiced = view.isVoiced(n) ? '+' : '';
      return this.#state.caps.has('multi-prefix') ? op + voiced : op || voiced;
    };
    if (as === 'who') return out(...names.map((n) => this.#whoLine(`#${room}`, n, prefix(n))), this.num('315', `#${room}`, 'End of WHO list'));
    if (as === 'modes') {
      const state = view?.state;
      const lines = [this.num('324', `#${room}`, ...modesOf(state, view?.seesKey === true))];
      if (state?.created !== undefined) lines.push(this.num('329', `#${room}`, String(Math.floor(state.created / 1000))));
      return out(...lines);
    }
    if (as === 'bans') {
      const bans = view?.state.bans ?? [];
      return out(...bans.map((mask) => this.num('367', `#${room}`, mask)), this.num('368', `#${room}`, 'End of channel ban list'));
    }
    if (as === 'join' && !this.#state.joined.has(room.toLowerCase())) return '';
    // RFC 2812: `@` for a secret channel (ours: hidden from non-members), `=` for the others.
    const symbol = view !== undefined && isHidden(view.state) ? '@' : '=';
    // 353 lines kept under 512 bytes: a room of a thousand is many lines.
    const lines: string[] = [];
    let batch: string[] = [];
    let size = 0;
    const full = this.#state.caps.has('userhost-in-names');
    for (const listed of names) {
      const name = prefix(listed) + (full ? `${listed}!${this.#users.get(listed)?.username || listed}@chat` : listed);
      // 300: with the server's name (up to 63), the nick and the channel, under 512 bytes.
      if (size + name.length + 1 > 300 && batch.length > 0) {
        lines.push(this.num('353', symbol, `#${room}`, batch.join(' ')));
        batch = [];
        size = 0;
      }
      batch.push(name);
      size += name.length + 1;
    }
    if (batch.length > 0) lines.push(this.num('353', symbol, `#${room}`, batch.join(' ')));
    lines.push(this.num('366', `#${room}`, 'End of /NAMES list'));
    return out(...lines);
  }

  noSuchRoom(room: string, as?: string): string {
    if (as === 'who') return out(this.num('315', `#${room}`, 'End of WHO list'));
    // A room exists while somebody is in it: a channel nobody is in is no channel.
    if (as === 'join') return '';
    if (as === 'names') return out(this.num('366', `#${room}`, 'End of /NAMES list'));
    return out(this.num('403', `#${room}`, 'No such channel'));
  }

  whois(name: string, rooms: readonly string[] | undefined, opIn?: (room: string) => boolean): string {
    const irc = this.#users.get(name);
    const lines = [this.num('311', name, irc?.username || name, 'chat', '*', irc?.realname || name)];
    // At most 8 rooms a line: 50 rooms of 33 characters would pass 512 bytes.
    for (let i = 0; rooms !== undefined && i < rooms.length; i += 8)
      lines.push(
        this.num(
          '319',
          name,
          rooms
            .slice(i, i + 8)
            .map((r) => `${opIn?.(r) === true ? '@' : ''}#${r}`)
            .join(' '),
        ),
      );
    lines.push(this.num('312', name, this.#ctx.serverName, 'tcp-chat'));
    const away = this.#ctx.awayOf(name);
    if (away !== undefined) lines.push(this.num('301', name, away));
    if (this.#isOperator(name)) lines.push(this.num('313', name, 'is an IRC operator'));
    if (this.#ctx.isAccount(name)) lines.push(this.num('330', name, name, 'is logged in as'));
    lines.push(this.num('318', name, 'End of /WHOIS list'));
    return out(...lines);
  }

  whoisNobody(name: string): string {
    return out(this.num('401', name, 'No such nick/channel'), this.num('318', name, 'End of /WHOIS list'));
  }

  authenticated(name: string): string {
    const s = this.#state;
    if (s.operPending) {
      // The core made this connection an operator (an operator account's password).
      s.operPending = false;
      s.operator = true;
      return out(this.num('381', 'You are now an IRC operator'), `:${this.me} MODE ${s.nick} :+o`);
    }
    s.saslPending = false;
    s.saslAccount = name;
    const me = sourceOf(s.nick ?? name);
    return out(this.num('900', me, name, `You are now logged in as ${name}`), this.num('903', 'SASL authentication successful'));
  }

  roomList(rooms: readonly { name: string; count: number }[]): string {
    return out(
      this.num('321', 'Channel', 'Users  Name'),
      ...rooms.map((r) => this.num('322', `#${r.name}`, String(r.count), '')),
      this.num('323', 'End of /LIST'),
    );
  }
  shuttingDown(): string {
    return out(this.error('Server shutting down'));
  }

  // Refusals.
  nameTaken(name: string): string {
    this.#state.registering = false;
    return out(this.num('433', name, 'Nickname is already in use'));
  }
  invalidName(): string {
    this.#state.registering = false;
    return out(this.num('432', this.#state.asked ?? '*', 'Erroneous nickname'));
  }
  invalidRoom(): string {
    return out(this.num('479', '*', 'Illegal channel name'));
  }
  registerFirst(): string {
    return out(this.num('451', 'You have not registered'));
  }
  noSuchUser(name: string): string {
    return out(this.num('401', name, 'No such nick/channel'));
  }
  unknownCommand(word: string): string {
    return out(this.num('421', word, 'Unknown command'));
  }
  authenticationFailed(): string {
    const s = this.#state;
    if (s.operPending) {
      s.operPending = false;
      return out(this.num('464', 'Password incorrect'));
    }
    if (s.saslPending) {
      s.saslPending = false;
      return out(this.num('904', 'SASL authentication failed'));
    }
    s.registering = false;
    return out(this.num('464', 'Password incorrect'));
  }
  lineTooLong(): string {
    return out(this.num('417', 'Input line was too long'));
  }
  serverFull(): string {
    return out(this.error('Server full'));
  }
  clusterUnavailable(): string {
    return out(this.notice(plain(line.clusterUnavailable())));
  }
  endWithNewline(): string {
    return '';
  }
  directNeedsColon(): string {
    return '';
  }
  passwordRequired(): string {
    this.#state.registering = false;
    return out(this.num('433', this.#state.asked ?? '*', 'Nickname is reserved by an account: log in with SASL or PASS'));
  }
  tooManyFailures(): string {
    return out(this.error('Too many failed logins'));
  }
  accountRemoved(): string {
    return out(this.error('Your account was removed'));
  }
  loggedInElsewhere(): string {
    return out(this.error('Logged in elsewhere'));
  }
  registerTimeout(ms: number): string {
    return out(this.error(`Registration timed out (${ms / 1000} s)`));
  }
  idleTimeout(ms: number): string {
    return out(this.error(`Ping timeout: idle for ${ms / 1000} s`));
  }
  tooManyFromAddress(max: number): string {
    return out(this.error(`Too many connections from your address (max ${max})`));
  }
  directNeedsText(): string {
    return out(this.num('412', 'No text to send'));
  }
  tooManyRooms(max: number, room?: string): string {
    return out(this.num('405', `#${room ?? '*'}`, `You have joined too many channels (max ${max})`));
  }
  joinNeedsRoom(): string {
    return out(this.num('461', 'JOIN', 'Not enough parameters'));
  }
  loginsWaiting(): string {
    this.#state.registering = false;
    this.#state.saslPending = false;
    this.#state.operPending = false;
    return out(this.notice(plain(line.loginsWaiting())));
  }
  claimUnavailable(): string {
    this.#state.registering = false;
    return out(this.notice(plain(line.claimUnavailable())));
  }
  whoUnavailable(): string {
    return out(this.notice(plain(line.whoUnavailable())));
  }
  roomsUnavailable(): string {
    return out(this.notice(plain(line.roomsUnavailable())));
  }
  joinUnavailable(room?: string): string {
    return out(this.num('437', `#${room ?? '*'}`, 'Channel is temporarily unavailable: cluster unavailable, try again in a moment'));
  }
  evicted(name: string): string {
    return out(this.error(plain(line.evicted(name))));
  }
  historyEntry(at: number, from: string, text: string): string {
    return out(this.notice(plain(line.historyEntry(at, from, text))));
  }
  endOfHistory(n: number): string {
    return out(this.notice(plain(line.endOfHistory(n))));
  }
  historyUsage(max: number): string {
    return out(this.notice(plain(line.historyUsage(max))));
  }
  historyUnavailable(): string {
    return out(this.notice(plain(line.historyUnavailable())));
  }
  keptForLater(name: string): string {
    return out(this.notice(plain(line.keptForLater(name))));
  }
  waitingForYou(n: number): string {
    return out(this.notice(plain(line.waitingForYou(n))));
  }
  /** A message kept while away: a PRIVMSG, with the time it was sent (server-time, or in the text). */
  keptMessage(at: number, from: string, text: string): string {
    const withTime = this.#state.caps.has('server-time');
    const shown = withTime ? fromAction(text) : `[${isoTime(at)}] ${text}`;
    return out(this.#message(from, 'PRIVMSG', this.#state.nick ?? '*', shown, at));
  }
  tooManyNewRooms(room?: string): string {
    return out(this.num('405', `#${room ?? '*'}`, plain(line.tooManyNewRooms())));
  }
  keptFull(name: string): string {
    return out(this.notice(plain(line.keptFull(name))));
  }
  keptFullFromYou(name: string): string {
    return out(this.notice(plain(line.keptFullFromYou(name))));
  }
  notKept(name: string): string {
    return out(this.notice(plain(line.notKept(name))));
  }
  kickedBy(op: string, reason: string): string {
    return line.kickedBy(op, reason);
  }
  bannedBy(op: string, reason: string): string {
    return line.bannedBy(op, reason);
  }
  removed(how: string): string {
    return out(this.error(how));
  }
  bannedAtLogin(until: number | undefined, reason: string): string {
    this.#refused();
    return out(this.num('465', plain(line.bannedAtLogin(until, reason))));
  }
  bansList(bans: readonly { name: string; until: number | undefined; reason: string }[]): string {
    return out(this.notice(plain(line.bansList(bans))));
  }
  mayLogInAgain(name: string): string {
    return out(this.notice(plain(line.mayLogInAgain(name))));
  }
  notBanned(name: string): string {
    return out(this.notice(plain(line.notBanned(name))));
  }
  notOperator(word: string): string {
    if (word === 'oper') {
      this.#state.operPending = false;
      return out(this.num('491', 'No O-lines for your host'));
    }
    return out(this.num('481', "Permission Denied- You're not an IRC operator"));
  }
  // Rooms people own (docs/irc.md): the numerics IRC clients expect.
  topic(room: string, topic: Topic | undefined, as?: string): string {
    if (topic === undefined) return as === 'join' ? '' : out(this.num('331', `#${room}`, 'No topic is set'));
    return out(this.num('332', `#${room}`, topic.text), this.num('333', `#${room}`, topic.by, String(Math.floor(topic.at / 1000))));
  }
  notRoomOperator(_word: string, room: string): string {
    return out(this.num('482', `#${room}`, "You're not channel operator"));
  }
  roomPrivate(room: string): string {
    return out(this.num('473', `#${room}`, 'Cannot join channel (+i): ask a member for an invitation'));
  }
  roomNeedsKey(room: string): string {
    return out(this.num('475', `#${room}`, 'Cannot join channel (+k): JOIN it with its key'));
  }
  roomFull(room: string, _limit: number): string {
    return out(this.num('471', `#${room}`, 'Cannot join channel (+l): it is full'));
  }
  bannedFromRoom(room: string): string {
    return out(this.num('474', `#${room}`, 'Cannot join channel (+b): you are banned'));
  }
  invitation(by: string, room: string): string {
    return out(`${this.#tags(by)}:${sourceOf(by)} INVITE ${this.#state.nick ?? '*'} #${room}`);
  }
  youInvited(name: string, room: string): string {
    return out(this.num('341', name, `#${room}`));
  }
  alreadyInRoom(name: string, room: string): string {
    return out(this.num('443', name, `#${room}`, 'is already on channel'));
  }
  removedFromRoom(room: string, by: string, reason: string): string {
    this.#state.joined.delete(room.toLowerCase());
    return out(`${this.#tags(by)}:${sourceOf(by)} KICK #${room} ${this.#state.nick ?? '*'} :${reason === '' ? by : reason}`);
  }
  notInThatRoom(name: string, room: string): string {
    return out(this.num('441', name, `#${room}`, "They aren't on that channel"));
  }
  lobbyIsOpen(): string {
    return out(this.notice(plain(line.lobbyIsOpen())));
  }
  badModeParameter(what: 'key' | 'limit' | 'ban', value: string, room: string): string {
    const mode = what === 'key' ? 'k' : what === 'limit' ? 'l' : 'b';
    return out(
      this.num('696', `#${room}`, mode, what === 'key' || value === '' ? '*' : value.replace(/ /g, '_'), plain(line.badModeParameter(what, value, room))),
    );
  }
  notOwned(room: string, max: number): string {
    return out(this.notice(plain(line.notOwned(room, max))));
  }
  ownerStaysOperator(name: string, room: string): string {
    return out(this.notice(plain(line.ownerStaysOperator(name, room))));
  }
  roomUnavailable(room: string): string {
    return out(this.notice(plain(line.roomUnavailable(room))));
  }
  youKicked(name: string): string {
    return out(this.notice(plain(line.youKicked(name))));
  }
  youBanned(name: string, until: number | undefined): string {
    return out(this.notice(plain(line.youBanned(name, until))));
  }
  moderationNeedsName(word: string): string {
    return out(this.num('461', word.toUpperCase(), 'Not enough parameters'));
  }
  notYourself(word: string): string {
    return out(this.notice(plain(line.notYourself(word))));
  }
  noSuchAccount(name: string): string {
    return out(this.num('401', name, 'No such account'));
  }
  banMinutes(max: number): string {
    return out(this.notice(plain(line.banMinutes(max))));
  }
  loginUnavailable(): string {
    this.#refused();
    return out(this.notice(plain(line.loginUnavailable())));
  }
  moderationUnavailable(): string {
    return out(this.notice(plain(line.moderationUnavailable())));
  }
  help(subject = 'index'): string[] {
    const text = HELP[subject.toUpperCase()] ?? HELP['INDEX']!;
    return [out(this.num('704', subject, text[0]!), ...text.slice(1).map((l) => this.num('705', subject, l)), this.num('706', subject, 'End of /HELP'))];
  }
  helpOperators(): string[] {
    return [out(this.notice('Operators: /kill NICK [REASON] disconnects NICK; /quote KLINE is not supported, use the line protocol for /ban'))];
  }
  // Several devices of one account (docs/irc.md, "Registration and accounts").
  tooManyDevices(name: string, max: number): string {
    this.#refused();
    return out(this.notice(plain(line.tooManyDevices(name, max))));
  }
  invalidDevice(): string {
    this.#refused();
    return out(this.notice(plain(line.invalidDevice())));
  }
  renameWithDevices(name: string): string {
    this.#state.registering = false;
    return out(this.num('433', this.#state.asked ?? '*', plain(line.renameWithDevices(name))));
  }
  renameOntoDevices(name: string): string {
    this.#state.registering = false;
    return out(this.num('433', name, plain(line.renameOntoDevices(name))));
  }
  /** A client keeps a channel's nick list from the NAMES that follows a JOIN. */
  readonly namesOnJoin = true;
  /** IRC has no current room: another device's join is this one's JOIN. */
  joinedFromOtherDevice(room: string): string {
    return this.youAreIn(room);
  }
  /** The self-message form (as echo-message's, and ergo's and soju's to the other clients). */
  sentFromOtherDevice(from: string, to: string, text: string, notice = false, ctcp = false): string {
    return out(this.#message(from, notice ? 'NOTICE' : 'PRIVMSG', to, ctcp ? `\x01${text}\x01` : fromAction(text)));
  }
  /** As a kept message: a PRIVMSG with the time it was sent (server-time, or in the text). */
  catchUpEntry(entry: CatchUpEntry): string {
    const { at, from, text, room, to } = entry;
    const withTime = this.#state.caps.has('server-time');
    const shown = withTime ? fromAction(text) : `[${isoTime(at)}] ${text}`;
    const target = room !== undefined ? `#${room}` : (to ?? this.#state.nick ?? '*');
    return out(this.#message(from, 'PRIVMSG', target, shown, at));
  }
  endOfCatchUp(n: number): string {
    return out(this.notice(plain(line.endOfCatchUp(n))));
  }
  catchUpUnavailable(): string {
    return out(this.notice(plain(line.catchUpUnavailable())));
  }
  catchUpCut(n: number): string {
    return out(this.notice(plain(line.catchUpCut(n))));
  }

  // History and read markers (docs/irc.md): draft/chathistory and draft/read-marker.
  /** With draft/chathistory a client asks for what it missed, and a catch-up would say it twice. */
  get asksForHistory(): boolean {
    return this.#state.caps.has('draft/chathistory');
  }
  /** AS: `SUB TARGET` (chathistory.ts); the batch names the target as the client wrote it. */
  historyWindow(as: string, entries: readonly CatchUpEntry[]): string {
    const target = as.slice(as.indexOf(' ') + 1);
    return inBatch(
      this.#ctx.serverName,
      this.#state,
      `chathistory ${target}`,
      // An entry may be several lines (a long message, split.ts): each is tagged with the batch.
      entries.flatMap((e) => this.catchUpEntry(e).split('\n')),
    );
  }
  historyTargets(targets: readonly HistoryTarget[]): string {
    const server = this.#ctx.serverName;
    const lines = targets.map(({ target, at }) => out(`:${server} CHATHISTORY TARGETS ${shownTarget(target)} ${isoTime(at)}`));
    return inBatch(server, this.#state, 'draft/chathistory-targets', lines);
  }
  historyWindowRefused(as: string, why: 'no-such-target' | 'unavailable'): string {
    const [sub = '*', target] = as.split(' ');
    const code = why === 'unavailable' ? 'MESSAGE_ERROR' : 'INVALID_TARGET';
    return out(this.fail('CHATHISTORY', code, sub, ...(target === undefined ? [] : [target]), 'Messages could not be retrieved'));
  }
  get toldReadMarkers(): boolean {
    return this.#state.caps.has('draft/read-marker');
  }
  readMarker(target: Conversation, at: number | undefined, as?: string): string {
    if (as === undefined && !this.toldReadMarkers) return '';
    return out(`:${this.#ctx.serverName} MARKREAD ${as ?? shownTarget(target)} ${at === undefined ? '*' : `timestamp=${isoTime(at)}`}`);
  }
  readMarkerRefused(target: Conversation, why: 'invalid' | 'unavailable', as?: string): string {
    const shown = as ?? shownTarget(target);
    if (why === 'invalid') return out(this.fail('MARKREAD', 'INVALID_PARAMS', shown, 'Invalid target'));
    return out(this.fail('MARKREAD', 'INTERNAL_ERROR', shown, 'The read timestamp could not be read or set'));
  }

  // IRC has no command that changes a password (docs/irc.md, "Not supported"): said as the
  // line protocol says it, should the core ever answer an IRC user with these.
  passwordChanged(): string {
    return out(this.notice(plain(line.passwordChanged())));
  }
  passwdUsage(): string {
    return out(this.notice(plain(line.passwdUsage())));
  }
  passwordNotChanged(why: PasswordRefusal, max?: number): string {
    return out(this.notice(plain(line.passwordNotChanged(why, max))));
  }
}

/** A conversation as IRC names it: `#ROOM`, or the nick. */
function shownTarget(target: Conversation): string {
  return 'room' in target ? `#${target.room}` : target.name;
}

/**
 * RPL_CHANNELMODEIS's mode string and its parameters: n and t unless taken off (docs/irc.md);
 * the key only to whom SEESKEY (a room operator), else `*`.
 */
export function modesOf(state: RoomState | undefined, seesKey: boolean): string[] {
  let modes = `+${state?.external === true ? '' : 'n'}${state?.topicOpen === true ? '' : 't'}`;
  const params: string[] = [];
  if (state?.private === true) modes += 'i';
  if (state?.moderated === true) modes += 'm';
  if (state?.secret === true) modes += 's';
  if (state?.key !== undefined) {
    modes += 'k';
    params.push(seesKey ? state.key : '*');
  }
  if (state?.limit !== undefined) {
    modes += 'l';
    params.push(String(state.limit));
  }
  return [modes, ...params];
}
