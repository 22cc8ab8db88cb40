import type { Command, ModeRequest } from '../../server/command.js';
import type { Voice } from '../../server/dialect.js';
import { capList, request } from './caps.js';
import { sourceOf, type IrcContext } from './context.js';
import { channelRoom, isValidNick, MESSAGE_MAX, parseMessage } from './message.js';
import { FORM_ACCOUNT_TAG, FORM_AWAY_NOTIFY, FORM_SERVER_TIME } from './render.js';
import { IrcState } from './state.js';
import { relayedTooLong } from './split.js';
import { ctcpOf, toChat } from './text.js';
import { HELP, IrcWords, out, type Limits } from './words.js';
import { saslPlain, SASL_CHUNK, SASL_MAX } from './sasl.js';
import { IrcRegistry } from './registry.js';
import { labelEnd, labelStart, Labels } from './labels.js';
import { chathistoryCommand, type Fail } from './chathistory.js';
import { markReadCommand } from './read-marker.js';
import { shownReason } from '../../protocol/cut-to-bytes.js';

/** Targets of one PRIVMSG, NOTICE or KICK at most (ISUPPORT's TARGMAX): beyond, 407. */
export const MAX_TARGETS = 4;
/** Channels of one JOIN or PART at most: a line of 512 bytes holds about 170. */
export const MAX_CHANNELS = 64;
/** What a plain message's text (#plainMessage) does not hold: a control (C0 but TAB, DEL, C1: see sanitize.ts), or U+FFFD. */
const UNUSUAL = /[\x00-\x08\x0a-\x1f\x7f-\x9f\ufffd]/;
/** Mode changes one MODE makes at most (ISUPPORT MODES). */
const MAX_MODES = 4;
/** Nicks of one ISON at most, and of one USERHOST. */
const MAX_ISON = 64;
const MAX_USERHOST = 5;

const EMPTY: Command = Object.freeze({ kind: 'empty' });
/** Commands an unregistered connection may send (RFC 2812 and IRCv3's CAP). */
const BEFORE_REGISTRATION = new Set(['CAP', 'NICK', 'USER', 'PASS', 'AUTHENTICATE', 'PING', 'PONG', 'QUIT']);

/**
 * One IRC connection: each line parsed into the chat's commands (docs/irc.md has the
 * mapping), or answered here when it is IRC's own (CAP, MODE queries, MOTD). The core never
 * sees IRC.
 */
export class IrcVoice implements Voice {
  readonly state = new IrcState();
  readonly words: IrcWords;
  readonly #ctx: IrcContext;

  readonly #users: IrcRegistry;

  constructor(ctx: IrcContext, limits: Limits, users: IrcRegistry = new IrcRegistry()) {
    this.#ctx = ctx;
    this.#users = users;
    this.words = new IrcWords(ctx, this.state, limits, users);
  }

  closed(): void {
    this.#users.closed(this.state);
  }

  /** Answers of a labeled command, gathered (labels.ts); made on first use. */
  #labels: Labels | undefined = undefined;

  answer(lines: string): string {
    return this.#labels === undefined ? lines : this.#labels.answer(lines);
  }

  get form(): number {
    return this.state.form;
  }

  #answer(...lines: string[]): Command {
    return { kind: 'answer', text: out(...lines) };
  }

  /** COMMAND's refusals as IRCv3 standard replies (FAIL). */
  #fail(command: string): Fail {
    return (code, ...params) => this.#answer(this.words.fail(command, code, ...params));
  }

  #num(code: string, ...params: string[]): Command {
    return this.#answer(this.words.num(code, ...params));
  }

  /** TEXT as a command; PLAIN: it holds printable ASCII, TAB and CR only (LineSink.line). */
  parse(text: string, _unframed?: boolean, plain = false): Command {
    if (text.startsWith('PRIVMSG ') && this.state.registered) {
      const message = this.#plainMessage(text, plain);
      if (message !== undefined) return message;
    }
    // NUL and a CR inside a line have no meaning in IRC; kept, they could end a line we echo.
    const parsed = parseMessage(text.indexOf('\0') === -1 && text.indexOf('\r') === -1 ? text : text.replace(/[\0\r]/g, ''));
    // Not QUIT: the connection closes before the end of its answers, which would be lost.
    const label = parsed.ok && parsed.message.command !== 'QUIT' && this.state.caps.has('labeled-response') ? parsed.message.tags.get('label') : undefined;
    const command = this.#command(text, parsed);
    if (label === undefined || label === '' || label.length > 64 || /[\s;]/.test(label)) return command;
    this.#labels ??= new Labels(this.#ctx.serverName);
    const inner = command.kind === 'several' ? command.commands : command.kind === 'empty' ? [] : [command];
    return { kind: 'several', commands: [{ kind: 'answer', text: labelStart(label) }, ...inner, { kind: 'answer', text: labelEnd() }] };
  }

  #command(text: string, parsed: ReturnType<typeof parseMessage>): Command {
    if (!parsed.ok) {
      if (parsed.error === 'too-long' || parsed.error === 'tags-too-long') return this.#num('417', 'Input line was too long');
      return EMPTY;
    }
    const { command, params } = parsed.message;
    const s = this.state;
    // UTF8ONLY (ISUPPORT): bytes that are not UTF-8 were decoded as U+FFFD; refused, not relayed.
    if (text.includes('\uFFFD')) return this.#answer(this.words.fail(command, 'INVALID_UTF8', 'Message rejected: it is not valid UTF-8'));
    if (!s.registered && !BEFORE_REGISTRATION.has(command)) {
      return this.#num('451', 'You have not registered');
    }
    switch (command) {
      case 'CAP':
        return this.#cap(params);
      case 'NICK':
        return this.#nick(params[0]);
      case 'USER':
        if (s.registered) return this.#num('462', 'You may not reregister');
        if (params.length < 4 || params[0] === '' || params[3] === '') return this.#num('461', 'USER', 'Not enough parameters');
        s.user = true;
        // Shown by WHO and WHOIS: one word of ours, then free text without controls.
        s.username = params[0]!.replace(/[^A-Za-z0-9_.-]/g, '').slice(0, 16) || 'user';
        s.realname = toChat(params[3]!)?.slice(0, 100) ?? '';
        return this.#register();
      case 'PASS':
        if (s.registered) return this.#num('462', 'You may not reregister');
        if (params[0] === undefined) return this.#num('461', 'PASS', 'Not enough parameters');
        s.password = params[0];
        return EMPTY;
      case 'AUTHENTICATE':
        return this.#authenticate(params[0]);
      case 'PING':
        if (params[0] === undefined || params[0] === '') return this.#num('409', 'No origin specified');
        return { kind: 'ping', token: params[0] };
      case 'PONG':
        return EMPTY;
      case 'QUIT': {
        const reason = params[0] ?? '';
        // Shown back as the others are shown it (commands.ts).
        const shown = shownReason(reason);
        return { kind: 'several', commands: [this.#answer(this.words.error(shown === '' ? 'Quit' : `Quit: ${shown}`)), { kind: 'quit', reason }] };
      }
      case 'JOIN':
        return this.#join(params[0], params[1]);
      case 'PART':
        return this.#part(params[0], params[1] ?? '');
      case 'PRIVMSG':
      case 'NOTICE':
        return this.#message(command, params[0], params[1]);
      case 'NAMES': {
        const room = params[0]?.split(',')[0];
        if (room === undefined || room === '') return this.#num('366', '*', 'End of /NAMES list');
        const name = channelRoom(room);
        return name === undefined ? this.#num('366', room, 'End of /NAMES list') : { kind: 'who', room: name, as: 'names' };
      }
      case 'WHO':
        return this.#who(params[0]);
      case 'WHOIS': {
        const nick = (params.length > 1 ? params[1] : params[0])?.split(',')[0];
        if (nick === undefined || nick === '') return this.#num('431', 'No nickname given');
        return { kind: 'whois', name: nick };
      }
      case 'WHOWAS':
        return this.#whowas(params[0], params[1]);
      case 'ISON': {
        const nicks = params.join(' ').split(' ').filter(isValidNick).slice(0, MAX_ISON);
        if (params.length === 0) return this.#num('461', 'ISON', 'Not enough parameters');
        return { kind: 'who', room: undefined, as: `ison ${nicks.join(' ')}` };
      }
      case 'USERHOST': {
        const nicks = params.filter(isValidNick).slice(0, MAX_USERHOST);
        if (params.length === 0) return this.#num('461', 'USERHOST', 'Not enough parameters');
        return { kind: 'who', room: undefined, as: `userhost ${nicks.join(' ')}` };
      }
      case 'LIST':
        return { kind: 'rooms' };
      case 'TOPIC':
        return this.#topic(params);
      case 'MODE':
        return this.#mode(params);
      case 'KICK':
        return this.#kick(params);
      case 'INVITE': {
        if (params.length < 2) return this.#num('461', command, 'Not enough parameters');
        const room = channelRoom(params[1]!);
        return room === undefined ? this.#num('403', params[1]!, 'No such channel') : { kind: 'invite', room, name: params[0]! };
      }
      case 'KILL':
        if (params[0] === undefined) return this.#num('461', 'KILL', 'Not enough parameters');
        return { kind: 'kick', name: params[0], reason: params[1] ?? '' };
      case 'OPER':
        if (params.length < 2) return this.#num('461', 'OPER', 'Not enough parameters');
        s.operPending = true;
        return { kind: 'authenticate', name: params[0]!, password: params[1]!, operator: true };
      case 'AWAY':
        return { kind: 'away', text: params[0] === undefined ? '' : (toChat(params[0]) ?? '') };
      case 'MOTD':
        return this.#num('422', 'MOTD File is missing');
      case 'LUSERS':
        return this.#answer(...this.words.lusers());
      case 'VERSION':
        return this.#answer(this.words.num('351', `tcp-chat-${this.#ctx.version}.`, this.#ctx.serverName, ''), ...this.words.isupport());
      case 'TIME':
        return this.#num('391', this.#ctx.serverName, new Date(this.#ctx.now()).toUTCString());
      case 'INFO':
        return this.#answer(this.words.num('371', 'tcp-chat: a chat for nc, IRC and the terminal'), this.words.num('374', 'End of INFO list'));
      case 'ADMIN':
        return this.#num('423', this.#ctx.serverName, 'No administrative info available');
      case 'HELP': {
        const subject = params[0] === undefined || params[0] === '' ? 'index' : params[0];
        if (HELP[subject.toUpperCase()] === undefined) return this.#num('524', subject, 'No help available on this topic');
        return { kind: 'answer', text: this.words.help(subject).join('\n') };
      }
      case 'USERS':
        return this.#num('446', 'USERS has been disabled');
      case 'CHATHISTORY':
        return chathistoryCommand(params, this.#fail(command));
      case 'MARKREAD':
        return markReadCommand(params, this.#fail(command));
      default:
        return this.#num('421', command, 'Unknown command');
    }
  }

  #cap(params: readonly string[]): Command {
    const s = this.state;
    const sub = (params[0] ?? '').toUpperCase();
    const me = this.words.target;
    const server = this.#ctx.serverName;
    switch (sub) {
      case 'LS': {
        if (!s.registered) s.negotiating = true;
        const version = Number(params[1] ?? '0');
        if (version >= 302) {
          s.v302 = true;
          s.caps.add('cap-notify');
        }
        return this.#answer(`:${server} CAP ${me} LS :${capList(this.#ctx.accounts, s.v302)}`);
      }
      case 'LIST':
        return this.#answer(`:${server} CAP ${me} LIST :${[...s.caps].join(' ')}`);
      case 'REQ': {
        if (!s.registered) s.negotiating = true;
        const asked = params[1] ?? '';
        const next = request(s.caps, asked, this.#ctx.accounts);
        if (next === undefined) return this.#answer(`:${server} CAP ${me} NAK :${asked}`);
        s.caps.clear();
        for (const cap of next) s.caps.add(cap);
        s.form =
          (s.caps.has('server-time') ? FORM_SERVER_TIME : 0) |
          (s.caps.has('account-tag') ? FORM_ACCOUNT_TAG : 0) |
          (s.caps.has('away-notify') ? FORM_AWAY_NOTIFY : 0);
        s.echo = s.caps.has('echo-message');
        return this.#answer(`:${server} CAP ${me} ACK :${asked}`);
      }
      case 'END':
        if (s.registered) return EMPTY;
        s.negotiating = false;
        return this.#register();
      default:
        return this.#num('410', sub === '' ? '*' : sub, 'Invalid CAP command');
    }
  }

  #nick(nick: string | undefined): Command {
    const s = this.state;
    if (nick === undefined || nick === '') return this.#num('431', 'No nickname given');
    if (!isValidNick(nick)) return this.#num('432', nick, 'Erroneous nickname');
    if (!s.registered) {
      // One registration at a time: a NICK while one is in flight waits for its answer (433 asks again).
      if (s.registering) return EMPTY;
      s.nick = nick;
      return this.#register();
    }
    if (s.registering) return EMPTY;
    s.asked = nick;
    return { kind: 'register', name: nick, password: undefined };
  }

  /** Registration once NICK, USER and any CAP negotiation are through (and SASL, if begun). */
  #register(): Command {
    const s = this.state;
    if (s.registered || s.registering || s.nick === undefined || !s.user || s.negotiating || s.saslPending) return EMPTY;
    s.registering = true;
    const name = s.saslAccount ?? s.nick;
    s.asked = name;
    const device = s.saslAccount !== undefined ? s.saslDevice : undefined;
    return {
      kind: 'register',
      name,
      password: s.saslAccount !== undefined ? s.saslPassword : s.password,
      lobby: false,
      ...(device === undefined ? {} : { device }),
    };
  }

  #authenticate(arg: string | undefined): Command {
    const s = this.state;
    if (!this.#ctx.accounts) return this.#num('904', 'SASL authentication failed');
    if (s.registered || s.saslAccount !== undefined) return this.#num('907', 'You have already authenticated using SASL');
    if (arg === undefined || arg === '') return this.#num('461', 'AUTHENTICATE', 'Not enough parameters');
    if (arg === '*') {
      s.sasl = false;
      s.saslChunks = '';
      return this.#num('906', 'SASL authentication aborted');
    }
    if (!s.sasl) {
      if (arg.toUpperCase() !== 'PLAIN')
        return this.#answer(this.words.num('908', 'PLAIN', 'are available SASL mechanisms'), this.words.num('904', 'SASL authentication failed'));
      s.sasl = true;
      return this.#answer('AUTHENTICATE +');
    }
    // One chunk over 400 is ERR_SASLTOOLONG (the IRCv3 spec's 905); chunks of 400 that never
    // end, past what a PLAIN login needs, are a failed login (904, as irctest expects).
    const tooLong = arg.length > SASL_CHUNK;
    if (arg !== '+') s.saslChunks += arg;
    if (tooLong || s.saslChunks.length > SASL_MAX) {
      s.sasl = false;
      s.saslChunks = '';
      return tooLong ? this.#num('905', 'SASL message too long') : this.#num('904', 'SASL authentication failed');
    }
    // A chunk of 400 says more is coming; '+' or a shorter one ends it.
    if (arg.length === SASL_CHUNK) return EMPTY;
    const creds = saslPlain(s.saslChunks);
    s.sasl = false;
    s.saslChunks = '';
    if (creds === undefined) return this.#num('904', 'SASL authentication failed');
    s.saslPending = true;
    s.saslPassword = creds.password;
    s.saslDevice = creds.device;
    return { kind: 'authenticate', name: creds.name, password: creds.password };
  }

  #join(arg: string | undefined, keyArg: string | undefined): Command {
    if (arg === undefined || arg === '') return this.#num('461', 'JOIN', 'Not enough parameters');
    if (arg === '0') {
      const rooms = [...this.state.joined.values()];
      return { kind: 'several', commands: rooms.map((room): Command => ({ kind: 'part', room, reason: '' })) };
    }
    const commands: Command[] = [];
    const asked = new Set<string>();
    // `JOIN #a,#b k1,k2`: the keys go with the channels in order.
    const keys = keyArg?.split(',') ?? [];
    let i = -1;
    for (const target of arg.split(',').slice(0, MAX_CHANNELS)) {
      const key = keys[++i];
      // A channel one is in, or named twice: IRC servers ignore the JOIN, and so no NAMES again.
      if (target === '' || asked.has(target.toLowerCase()) || this.state.joined.has(target.slice(1).toLowerCase())) continue;
      asked.add(target.toLowerCase());
      const room = channelRoom(target);
      if (room === undefined) {
        commands.push(this.#num(target.startsWith('#') ? '479' : '403', target, target.startsWith('#') ? 'Illegal channel name' : 'No such channel'));
        continue;
      }
      commands.push(key === undefined || key === '' ? { kind: 'join', room } : { kind: 'join', room, key }, { kind: 'who', room, as: 'join' });
    }
    return { kind: 'several', commands };
  }

  #part(arg: string | undefined, reason: string): Command {
    if (arg === undefined || arg === '') return this.#num('461', 'PART', 'Not enough parameters');
    const commands: Command[] = [];
    for (const target of arg.split(',').slice(0, MAX_CHANNELS)) {
      if (target === '') continue;
      const room = channelRoom(target);
      commands.push(room === undefined ? this.#num('403', target, 'No such channel') : { kind: 'part', room, reason });
    }
    return { kind: 'several', commands };
  }

  /**
   * The line most lines are, `PRIVMSG TARGET :TEXT` to one user or room, without tags, read
   * straight to its command: what parseMessage, #command and #message make of it, at a
   * fraction of their cost (at thousands of messages a second, they were most of what IRC
   * cost beyond the line protocol: docs/benchmark.md). Undefined for any other form, or for
   * one the general path refuses or answers: it reads those.
   */
  #plainMessage(line: string, plain: boolean): Command | undefined {
    const space = line.indexOf(' ', 8);
    if (space <= 8 || line.charCodeAt(space + 1) !== 0x3a) return undefined;
    const target = line.slice(8, space);
    const text = line.slice(space + 2);
    // The target is a name or a channel (checked below), which hold none of NUL, CR, U+FFFD
    // or a comma; the text, the usual one, none of those nor any other control: one test of
    // a class of characters (a search for CR, in a line the framer found plain), and the
    // text is the chat's as it is. One that holds any is read by the general path (NUL or CR
    // in a line, invalid UTF-8) or stripped here (toChat).
    if (text === '') return undefined;
    let chat: string | undefined = text;
    if (plain ? text.includes('\r') : UNUSUAL.test(text)) {
      if (text.includes('\0') || text.includes('\r') || text.includes('\uFFFD')) return undefined;
      chat = toChat(text);
    }
    if (line.length * 3 > MESSAGE_MAX - 2 && Buffer.byteLength(line) > MESSAGE_MAX - 2) return undefined;
    if (chat === undefined || relayedTooLong(this.state.nick ?? '*', 'PRIVMSG', target, text)) return undefined;
    if (target.charCodeAt(0) !== 0x23) return isValidNick(target) ? { kind: 'direct', to: target, text: chat } : undefined;
    const room = channelRoom(target);
    return room === undefined ? undefined : { kind: 'room', room, text: chat };
  }

  #message(command: string, targets: string | undefined, text: string | undefined): Command {
    if (targets === undefined || targets === '') return this.#num('411', `No recipient given (${command})`);
    if (text === undefined || text === '') return this.#num('412', 'No text to send');
    const chat = toChat(text);
    // CTCP other than ACTION: to IRC users only, never to a room (docs/irc.md).
    const ctcp = chat === undefined ? ctcpOf(text) : undefined;
    if (chat === undefined && ctcp === undefined) return EMPTY;
    const nick = this.state.nick ?? '*';
    if (relayedTooLong(nick, command, targets, text)) {
      return this.#num('417', `Input line was too long: with your source, ${sourceOf(nick)}, your message is over IRC's 512 bytes; send it in shorter lines`);
    }
    // The usual case, one target: no list to make.
    if (!targets.includes(',') && !targets.startsWith('#') && chat !== undefined && isValidNick(targets)) {
      return command === 'NOTICE' ? { kind: 'direct', to: targets, text: chat, notice: true } : { kind: 'direct', to: targets, text: chat };
    }
    const commands: Command[] = [];
    const list = targets.split(',').filter((t) => t !== '');
    for (const [i, target] of list.entries()) {
      if (i >= MAX_TARGETS) {
        commands.push(this.#num('407', target, `Too many recipients (max ${MAX_TARGETS})`));
        continue;
      }
      if (target.startsWith('#')) {
        const room = channelRoom(target);
        const notice = command === 'NOTICE';
        if (chat === undefined) continue;
        if (room !== undefined) commands.push(notice ? { kind: 'room', room, text: chat, notice } : { kind: 'room', room, text: chat });
        else if (!notice) commands.push(this.#num('403', target, 'No such channel'));
      } else if (!isValidNick(target)) {
        if (command === 'PRIVMSG') commands.push(this.#num('401', target, 'No such nick/channel'));
      } else {
        const notice = command === 'NOTICE' ? { notice: true } : {};
        commands.push(
          chat === undefined ? { kind: 'direct', to: target, text: ctcp ?? '', ctcp: true, ...notice } : { kind: 'direct', to: target, text: chat, ...notice },
        );
      }
    }
    return commands.length === 1 ? commands[0]! : commands.length === 0 ? EMPTY : { kind: 'several', commands };
  }

  #whowas(nick: string | undefined, count: string | undefined): Command {
    if (nick === undefined || nick === '') return this.#num('431', 'No nickname given');
    const n = Number(count ?? '0');
    const was = this.#users.was(nick, Number.isInteger(n) ? n : 0);
    if (was.length === 0) return this.#answer(this.words.num('406', nick, 'There was no such nickname'), this.words.num('369', nick, 'End of WHOWAS'));
    return this.#answer(
      ...was.flatMap((w) => [
        this.words.num('314', w.nick, w.user || w.nick, 'chat', '*', w.realname || w.nick),
        this.words.num('312', w.nick, this.#ctx.serverName, 'tcp-chat'),
      ]),
      this.words.num('369', nick, 'End of WHOWAS'),
    );
  }

  #who(mask: string | undefined): Command {
    if (mask === undefined || mask === '' || mask === '0') return this.#num('315', mask || '*', 'End of WHO list');
    if (mask.startsWith('#')) {
      const room = channelRoom(mask);
      return room === undefined ? this.#num('315', mask, 'End of WHO list') : { kind: 'who', room, as: 'who' };
    }
    if (!/^[A-Za-z0-9_*?-]{1,32}$/.test(mask)) return this.#num('315', mask, 'End of WHO list');
    return { kind: 'who', room: undefined, as: `who ${mask}` };
  }

  #topic(params: readonly string[]): Command {
    const target = params[0];
    if (target === undefined) return this.#num('461', 'TOPIC', 'Not enough parameters');
    const room = channelRoom(target);
    if (room === undefined) return this.#num('403', target, 'No such channel');
    // `TOPIC #r :` (an empty trailing parameter) clears it.
    return { kind: 'topic', room, text: params[1] };
  }

  /**
   * `KICK #room nick[,nick...] [:reason]`, or `KICK #a,#b nick1,nick2` (RFC 2812: channels and
   * nicks in pairs): each a room operator's /remove.
   */
  #kick(params: readonly string[]): Command {
    if (params.length < 2) return this.#num('461', 'KICK', 'Not enough parameters');
    const channels = params[0]!.split(',');
    const names = params[1]!
      .split(',')
      .filter((n) => n !== '')
      .slice(0, MAX_TARGETS);
    if (channels.length !== 1 && channels.length !== names.length) return this.#num('461', 'KICK', 'Not enough parameters');
    const reason = params[2] ?? '';
    return {
      kind: 'several',
      commands: names.map((name, i): Command => {
        const channel = channels[channels.length === 1 ? 0 : i]!;
        const room = channelRoom(channel);
        return room === undefined ? this.#num('403', channel, 'No such channel') : { kind: 'removeFromRoom', room, name, reason };
      }),
    };
  }

  /**
   * `MODE #room [+-]modes [params]`: the channel modes the room model holds (docs/irc.md).
   * n and t are always on; an unknown letter gets 472, and the rest is done.
   */
  #channelMode(room: string, target: string, params: readonly string[]): Command {
    const modes = params[1]!;
    const args = params.slice(2);
    const changes: ModeRequest[] = [];
    const answers: Command[] = [];
    let on = true;
    let listBans = false;
    for (const letter of modes) {
      if (letter === '+' || letter === '-') {
        on = letter === '+';
        continue;
      }
      switch (letter) {
        case 'o':
        case 'v': {
          const name = args.shift();
          if (name !== undefined) changes.push({ what: letter === 'o' ? 'op' : 'voice', on, name });
          break;
        }
        case 'i':
        case 's':
        case 'm':
          changes.push({ what: letter === 'i' ? 'private' : letter === 's' ? 'secret' : 'moderated', on });
          break;
        case 'k': {
          // `-k` may name the key or not (RFC 2812 asks for it, clients differ): it is taken, and not needed.
          const key = args.shift();
          if (!on) changes.push({ what: 'key', on, key: '' });
          else if (key !== undefined) changes.push({ what: 'key', on, key });
          break;
        }
        case 'l': {
          if (!on) {
            changes.push({ what: 'limit', limit: undefined });
            break;
          }
          const value = args.shift();
          if (value === undefined) break;
          if (!/^[0-9]{1,7}$/.test(value) || Number(value) < 1) {
            answers.push(this.#num('696', target, 'l', value === '' ? '*' : value, 'A limit is a whole number from 1'));
            break;
          }
          changes.push({ what: 'limit', limit: Number(value) });
          break;
        }
        case 'b': {
          const mask = args.shift();
          if (mask === undefined) listBans = true;
          else changes.push({ what: 'ban', on, mask });
          break;
        }
        case 'n':
        case 't':
          changes.push({ what: letter === 'n' ? 'noExternal' : 'topicLock', on });
          break;
        default:
          answers.push(this.#num('472', letter, 'is an unknown mode char to me'));
      }
    }
    const commands: Command[] = [...answers];
    if (listBans) commands.push({ kind: 'who', room, as: 'bans' });
    if (changes.length > 0) commands.push({ kind: 'roomMode', room, word: 'mode', changes: changes.slice(0, MAX_MODES) });
    return commands.length === 1 ? commands[0]! : { kind: 'several', commands };
  }

  #mode(params: readonly string[]): Command {
    const target = params[0];
    if (target === undefined) return this.#num('461', 'MODE', 'Not enough parameters');
    if (target.startsWith('#')) {
      const room = channelRoom(target);
      if (room === undefined) return this.#num('403', target, 'No such channel');
      if (params[1] === undefined) return { kind: 'who', room, as: 'modes' };
      return this.#channelMode(room, target, params);
    }
    const s = this.state;
    if (target.toLowerCase() !== (s.nick ?? '').toLowerCase()) return this.#num('502', "Can't change mode for other users");
    const modes = (): string => `+${s.invisible ? 'i' : ''}${s.operator ? 'o' : ''}`;
    if (params[1] === undefined) return this.#num('221', modes());
    // +i and -i are kept (WHO); other user modes are not (docs/irc.md).
    const change = params[1];
    let sign = '+';
    let done = '';
    for (const c of change) {
      if (c === '+' || c === '-') sign = c;
      else if (c === 'i' && s.invisible !== (sign === '+')) {
        s.invisible = sign === '+';
        done += `${sign}i`;
      }
    }
    return done === '' ? this.#num('221', modes()) : this.#answer(`:${this.words.me} MODE ${s.nick} :${done}`);
  }
}
