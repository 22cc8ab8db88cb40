// The page's IRC client: logs in (CAP LS 302, SASL PLAIN), answers PING, joins rooms, asks for
// their history, and turns what the server says into the chat state (chat.ts). Pure: every
// function returns the lines to send, and page.ts sends them. Read with docs/irc.md.

import {
  addLine,
  type ChatLine,
  type ChatState,
  type Conversation,
  conversation,
  createChat,
  current,
  find,
  type LineKind,
  makeLine,
  mergeHistory,
  ordered,
  remove,
  rename,
  SERVER_ID,
  select,
  setMarker,
  takeMarkers,
} from './chat.js';
import { HELP, parseInput } from './input.js';
import { actionOf, channelName, fold, format, fromServer, type IrcMessage, isChannel, isCtcp, NAME_RE, nickOf, parse, saslPlain } from './irc.js';
import { messageLines, splitBytes } from './text.js';

/** The capabilities the page uses, when the server offers them (a CAP REQ is all or nothing). */
export const WANTED_CAPS = ['server-time', 'echo-message', 'batch', 'draft/chathistory', 'draft/read-marker', 'multi-prefix'];

/** Messages of history asked for on entering a room or reopening a conversation. */
export const HISTORY = 50;

/** Bytes of text a PRIVMSG carries at most: the line is 512 bytes with the command, and the server adds the sender. */
export const TEXT_BYTES = 400;

/** Bytes of a JOIN line with several channels (JOIN #a,#b,...). */
const JOIN_BYTES = 400;

export interface Login {
  nick: string;
  /** '' for none. Held in memory for reconnecting, never stored. */
  password: string;
}

export interface Client {
  login: Login;
  chat: ChatState;
  now: () => number;
  /** This connection reached 001 (RPL_WELCOME). */
  registered: boolean;
  /** Some connection of this session did: a refusal after it is retried, not final. */
  wasOnline: boolean;
  /** CAP LS: name -> value, as the server offers them. */
  offered: Map<string, string>;
  caps: Set<string>;
  /** The server offers SASL: it has accounts. undefined until its CAP LS. */
  accounts: boolean | undefined;
  /** Why the login was refused (wrong password, taken name): the page stops and shows it. */
  refused: string | undefined;
  /** The connection should end now and be made again (our name still held by a connection the server has not dropped yet). */
  retry: boolean;
  /** The ERROR the server closed with, and whether it was a kick (not retried). */
  error: string | undefined;
  kicked: boolean;
  /** Rooms the user asked to join: shown once joined. */
  wanted: Set<string>;
  /** Keys of the rooms that have one, for rejoining. */
  keys: Map<string, string>;
  batches: Map<string, { type: string; lines: Array<{ conv: string; line: ChatLine }> }>;
  /** NAMES being received, per room, until 366. */
  names: Map<string, Map<string, string>>;
}

export function createClient(login: Login, now: () => number = Date.now): Client {
  return {
    login,
    chat: createChat(login.nick),
    now,
    registered: false,
    wasOnline: false,
    offered: new Map(),
    caps: new Set(),
    accounts: undefined,
    refused: undefined,
    retry: false,
    error: undefined,
    kicked: false,
    wanted: new Set(),
    keys: new Map(),
    batches: new Map(),
    names: new Map(),
  };
}

/** A new connection is open: what it starts with. The nick is the one this session has now (after a rename). */
export function connected(c: Client): string[] {
  c.registered = false;
  c.offered.clear();
  c.caps.clear();
  c.refused = undefined;
  c.retry = false;
  c.error = undefined;
  c.kicked = false;
  c.batches.clear();
  c.names.clear();
  for (const conv of c.chat.conversations.values()) conv.joined = false;
  const nick = c.wasOnline ? c.chat.nick : c.login.nick;
  return ['CAP LS 302', format('NICK', nick), format('USER', nick, '0', '*', nick)];
}

/** The connection closed: the rooms are left until the next one joins them again. */
export function disconnected(c: Client): void {
  c.registered = false;
  for (const conv of c.chat.conversations.values()) conv.joined = false;
}

/** Whether CAP LS's message MSG is its last line; collects its capabilities into OFFERED. */
export function capLs(msg: IrcMessage, offered: Map<string, string>): boolean {
  const more = msg.params[2] === '*' && msg.params.length > 3;
  for (const cap of (msg.params[msg.params.length - 1] ?? '').split(' ')) {
    if (cap === '') continue;
    const eq = cap.indexOf('=');
    offered.set(eq < 0 ? cap : cap.slice(0, eq), eq < 0 ? '' : cap.slice(eq + 1));
  }
  return !more;
}

/** Whether OFFERED's sasl takes PLAIN (`sasl`, or `sasl=PLAIN,...`). */
export function saslPlainOffered(offered: Map<string, string>): boolean {
  const value = offered.get('sasl');
  return value !== undefined && (value === '' || value.split(',').includes('PLAIN'));
}

/** One line from the server: what to answer. */
export function receive(c: Client, raw: string): string[] {
  const msg = parse(raw);
  if (msg === undefined) return [];
  const batch = msg.tags.get('batch');
  if (batch !== undefined && c.batches.has(batch) && (msg.command === 'PRIVMSG' || msg.command === 'NOTICE')) {
    const said = saidLine(c, msg);
    if (said !== undefined) c.batches.get(batch)!.lines.push(said);
    return [];
  }
  const handler = HANDLERS[msg.command];
  if (handler !== undefined) return handler(c, msg);
  // Errors are 400 to 599; 422 (no MOTD) among them says nothing worth a line.
  if (/^[45]\d\d$/.test(msg.command) && msg.command !== '422') return refusal(c, msg);
  return [];
}

type Handler = (c: Client, msg: IrcMessage) => string[];

const last = (msg: IrcMessage): string => msg.params[msg.params.length - 1] ?? '';

/** The time of MSG: its server-time tag, else now. */
function timeOf(c: Client, msg: IrcMessage): number {
  const tag = msg.tags.get('time');
  const at = tag === undefined ? Number.NaN : Date.parse(tag);
  return Number.isNaN(at) ? c.now() : at;
}

/** Adds a line (an event, an error) to the conversation NAME, made if missing; AT undefined: the page's own, timed now. */
function event(c: Client, name: string, text: string, at?: number, kind: LineKind = 'event'): void {
  addLine(c.chat, conversation(c.chat, name), makeLine(c.chat, { at: at ?? c.now(), kind, text, local: at === undefined }));
}

/** Where a line that belongs to no conversation goes: the one shown, else the server's. */
function here(c: Client): string {
  return current(c.chat)?.name ?? SERVER_ID;
}

/** Says TEXT (an error or an answer of the page itself) in the conversation shown. */
function note(c: Client, text: string, kind: LineKind = 'error'): void {
  const name = here(c);
  event(c, name, text, undefined, kind);
  if (c.chat.current === undefined) select(c.chat, SERVER_ID);
}

/** A PRIVMSG or NOTICE as a line of a conversation: a room's, or the other person's for a direct message. */
function saidLine(c: Client, msg: IrcMessage): { conv: string; line: ChatLine } | undefined {
  const target = msg.params[0] ?? '';
  const text = msg.params[1] ?? '';
  if (isCtcp(text)) return undefined;
  const from = nickOf(msg.source);
  const action = actionOf(text);
  const kind: LineKind = action !== undefined ? 'action' : msg.command === 'NOTICE' ? 'notice' : 'message';
  const line = makeLine(c.chat, { at: timeOf(c, msg), kind, from, text: action ?? text });
  // A direct message is the other person's conversation: theirs when they wrote, the
  // addressee's when we did (an echo, or our message from another device).
  const conv = isChannel(target) ? target : fold(from) === fold(c.chat.nick) ? target : from;
  return { conv, line };
}

function said(c: Client, msg: IrcMessage): string[] {
  if (fromServer(msg.source)) {
    // The server's notices: "waiting for you: N messages", "end of catch-up" ...
    if (c.registered) note(c, last(msg), 'notice');
    return [];
  }
  const said = saidLine(c, msg);
  if (said === undefined) return [];
  const conv = conversation(c.chat, said.conv);
  addLine(c.chat, conv, said.line);
  if (c.chat.current === undefined) select(c.chat, conv.id);
  return [];
}

/** A refusal before the welcome ends the login; after it, it is said where it belongs. */
function refusal(c: Client, msg: IrcMessage): string[] {
  const code = msg.command;
  if (!c.registered) {
    if (code === '433' && c.wasOnline) {
      // Our name is still held by the connection that just dropped: try again later.
      c.retry = true;
    } else if (code === '433') {
      c.refused =
        c.accounts && c.login.password === ''
          ? `${c.login.nick} is taken, or is an account: give its password to log in as it.`
          : `${c.login.nick} is taken: choose another name.`;
    } else if (code === '432') {
      c.refused = `${c.login.nick} cannot be a name here: 1 to 32 letters, digits, _ or -.`;
    } else if (code === '904' || code === '902' || code === '905') {
      c.refused = 'Wrong name or password.';
    } else if (code === '465') {
      c.refused = `Refused: ${last(msg)}`;
    } else if (code === '421' || code === '451') {
      // A command before the welcome (a PONG to an early PING): nothing to tell.
    }
    return [];
  }
  // 4xx/5xx after the welcome: said in the conversation it is about (401 for a nick, 404 a room), else here.
  const about = msg.params.length > 2 ? (msg.params[1] ?? '') : '';
  const words = msg.params.slice(1, -1).join(' ');
  const text = words === '' ? last(msg) : `${words}: ${last(msg)}`;
  const conv = about !== '' ? find(c.chat, about) : undefined;
  if (conv !== undefined) event(c, conv.name, text, undefined, 'error');
  else note(c, text);
  return [];
}

/** JOIN lines for ROOMS, several channels a line as long as it stays short; keyed rooms each on their own. */
function joinLines(c: Client, rooms: string[]): string[] {
  const lines: string[] = [];
  let batch: string[] = [];
  const flush = (): void => {
    if (batch.length > 0) lines.push(format('JOIN', batch.join(',')));
    batch = [];
  };
  for (const room of rooms) {
    const key = c.keys.get(fold(room));
    if (key !== undefined) {
      lines.push(format('JOIN', room, key));
      continue;
    }
    if ([...batch, room].join(',').length > JOIN_BYTES) flush();
    batch.push(room);
  }
  flush();
  return lines;
}

function historyLine(c: Client, target: string): string[] {
  return c.caps.has('draft/chathistory') ? [format('CHATHISTORY', 'LATEST', target, '*', String(HISTORY))] : [];
}

const HANDLERS: Record<string, Handler> = {
  PING: (_c, msg) => [format('PONG', ...msg.params)],

  CAP: (c, msg) => {
    const sub = (msg.params[1] ?? '').toUpperCase();
    if (sub === 'LS') {
      if (!capLs(msg, c.offered)) return [];
      if (c.registered) return [];
      c.accounts = saslPlainOffered(c.offered);
      const want = WANTED_CAPS.filter((cap) => c.offered.has(cap));
      if (c.accounts && c.login.password !== '') want.push('sasl');
      return want.length > 0 ? [format('CAP', 'REQ', want.join(' '))] : ['CAP END'];
    }
    if (sub === 'ACK') {
      for (const cap of last(msg).split(' ')) if (cap !== '') c.caps.add(cap.replace(/^-/, ''));
      if (c.registered) return [];
      return c.caps.has('sasl') ? ['AUTHENTICATE PLAIN'] : ['CAP END'];
    }
    if (sub === 'NAK') return c.registered ? [] : ['CAP END'];
    if (sub === 'DEL') for (const cap of last(msg).split(' ')) c.caps.delete(cap);
    return [];
  },

  AUTHENTICATE: (c, msg) => (msg.params[0] === '+' ? saslPlain(c.login.nick, c.login.password) : []),
  '903': () => ['CAP END'],
  // SASL's failures (9xx, outside the 4xx/5xx of errors).
  '902': (c, msg) => refusal(c, msg),
  '904': (c, msg) => refusal(c, msg),
  '905': (c, msg) => refusal(c, msg),

  '001': (c, msg) => {
    c.registered = true;
    const nick = msg.params[0] ?? c.chat.nick;
    if (fold(nick) !== fold(c.chat.nick)) rename(c.chat, c.chat.nick, nick);
    c.chat.nick = nick;
    const rooms = ordered(c.chat)
      .filter((v) => v.kind === 'room')
      .map((v) => v.name);
    // A first login lands in lobby, where line-protocol users start (PROTOCOL.md, "Rooms").
    if (!c.wasOnline && rooms.length === 0) {
      rooms.push('#lobby');
      c.wanted.add('#lobby');
    }
    c.wasOnline = true;
    const queries = ordered(c.chat).filter((v) => v.kind === 'query');
    return [...joinLines(c, rooms), ...queries.flatMap((q) => historyLine(c, q.name))];
  },

  NICK: (c, msg) => {
    const old = nickOf(msg.source);
    const now = msg.params[0] ?? old;
    if (!c.registered) {
      // The server names us by our account after SASL (`:al!al@chat NICK :alice`).
      if (fold(old) === fold(c.chat.nick)) c.chat.nick = now;
      return [];
    }
    for (const conv of rename(c.chat, old, now)) event(c, conv.name, `${old} is now ${now}`, timeOf(c, msg));
    return [];
  },

  JOIN: (c, msg) => {
    const nick = nickOf(msg.source);
    const room = msg.params[0] ?? '';
    if (!isChannel(room)) return [];
    const conv = conversation(c.chat, room);
    if (fold(nick) === fold(c.chat.nick)) {
      conv.name = room;
      conv.joined = true;
      conv.members.clear();
      if (c.wanted.delete(conv.id) || c.chat.current === undefined || c.chat.current === SERVER_ID) select(c.chat, conv.id);
      return historyLine(c, room);
    }
    conv.members.set(fold(nick), nick);
    event(c, room, `${nick} joined`, timeOf(c, msg));
    return [];
  },

  PART: (c, msg) => {
    const nick = nickOf(msg.source);
    const conv = find(c.chat, msg.params[0] ?? '');
    if (conv === undefined) return [];
    if (fold(nick) === fold(c.chat.nick)) {
      remove(c.chat, conv.id);
      c.keys.delete(conv.id);
      return [];
    }
    conv.members.delete(fold(nick));
    const reason = msg.params[1] ?? '';
    event(c, conv.name, reason === '' ? `${nick} left` : `${nick} left (${reason})`, timeOf(c, msg));
    return [];
  },

  KICK: (c, msg) => {
    const conv = find(c.chat, msg.params[0] ?? '');
    const nick = msg.params[1] ?? '';
    if (conv === undefined) return [];
    const reason = msg.params[2] ?? '';
    const by = nickOf(msg.source);
    const text = `${nick} was removed by ${by}${reason === '' || reason === nick ? '' : `: ${reason}`}`;
    event(c, conv.name, text, timeOf(c, msg));
    conv.members.delete(fold(nick));
    // Removed ourselves: the room stays in the list, not joined, with why.
    if (fold(nick) === fold(c.chat.nick)) conv.joined = false;
    return [];
  },

  QUIT: (c, msg) => {
    const nick = nickOf(msg.source);
    const reason = msg.params[0] ?? '';
    const text = reason === '' ? `${nick} left the chat` : `${nick} left the chat (${reason})`;
    for (const conv of c.chat.conversations.values()) {
      if (conv.members.delete(fold(nick)) || (conv.kind === 'query' && conv.id === fold(nick))) event(c, conv.name, text, timeOf(c, msg));
    }
    return [];
  },

  PRIVMSG: said,
  NOTICE: said,

  TOPIC: (c, msg) => {
    const conv = find(c.chat, msg.params[0] ?? '');
    if (conv === undefined) return [];
    conv.topic = msg.params[1] ?? '';
    const by = nickOf(msg.source);
    event(c, conv.name, conv.topic === '' ? `${by} cleared the topic` : `${by} set the topic: ${conv.topic}`, timeOf(c, msg));
    return [];
  },
  '332': (c, msg) => {
    const conv = find(c.chat, msg.params[1] ?? '');
    if (conv !== undefined) conv.topic = last(msg);
    return [];
  },
  '331': (c, msg) => {
    const conv = find(c.chat, msg.params[1] ?? '');
    if (conv !== undefined) conv.topic = '';
    return [];
  },

  '353': (c, msg) => {
    const room = fold(msg.params[2] ?? '');
    const names = c.names.get(room) ?? new Map<string, string>();
    c.names.set(room, names);
    for (const word of last(msg).split(' ')) {
      // multi-prefix: `@+alice`; userhost-in-names (not asked for): `alice!alice@chat`.
      const nick = nickOf(word.replace(/^[@+]+/, ''));
      if (nick !== '') names.set(fold(nick), nick);
    }
    return [];
  },
  '366': (c, msg) => {
    const room = fold(msg.params[1] ?? '');
    const conv = find(c.chat, room);
    if (conv !== undefined) conv.members = c.names.get(room) ?? new Map();
    c.names.delete(room);
    return [];
  },

  MARKREAD: (c, msg) => {
    const conv = find(c.chat, msg.params[0] ?? '');
    const m = /^timestamp=(.+)$/.exec(msg.params[1] ?? '');
    const at = m ? Date.parse(m[1]!) : Number.NaN;
    if (conv !== undefined && !Number.isNaN(at)) setMarker(c.chat, conv, at);
    return [];
  },

  BATCH: (c, msg) => {
    const ref = msg.params[0] ?? '';
    if (ref.startsWith('+')) {
      // Only history is held until its end; any other batch's lines are taken as they come.
      const type = msg.params[1] ?? '';
      if (type === 'chathistory') c.batches.set(ref.slice(1), { type, lines: [] });
      return [];
    }
    const batch = c.batches.get(ref.slice(1));
    c.batches.delete(ref.slice(1));
    if (batch === undefined) return [];
    const by = new Map<string, ChatLine[]>();
    for (const { conv, line } of batch.lines) by.set(conv, [...(by.get(conv) ?? []), line]);
    for (const [name, lines] of by) mergeHistory(c.chat, conversation(c.chat, name), lines);
    return [];
  },

  FAIL: (c, msg) => {
    // History or a marker that could not be had is not worth a line; anything else is said.
    const command = msg.params[0] ?? '';
    if (command !== 'CHATHISTORY' && command !== 'MARKREAD' && c.registered) note(c, last(msg));
    return [];
  },

  ERROR: (c, msg) => {
    c.error = last(msg);
    // A kick is the one close not to come back from by itself (a ban is refused at login anyway).
    c.kicked = /\bkicked\b/i.test(c.error);
    if (!c.registered && !c.wasOnline && c.refused === undefined) c.refused = c.error;
    return [];
  },
};

/** What the page sends for LINE typed into the message box (one line: several go through sayLines). */
export function input(c: Client, line: string): string[] {
  const cmd = parseInput(line);
  const conv = current(c.chat);
  switch (cmd.kind) {
    case 'none':
      return [];
    case 'say':
    case 'me':
      if (conv === undefined || conv.kind === 'server') {
        note(c, 'Choose a room or a person first: /join ROOM or /query NAME.');
        return [];
      }
      return sayTo(c, conv, cmd.text, cmd.kind === 'me');
    case 'msg': {
      const opened = openQuery(c, cmd.nick);
      const query = find(c.chat, cmd.nick.replace(/^@/, ''));
      return query?.kind === 'query' ? [...opened, ...sayTo(c, query, cmd.text, false)] : opened;
    }
    case 'query':
      return openQuery(c, cmd.nick);
    case 'join':
      return join(c, cmd.room, cmd.key);
    case 'part': {
      const room = cmd.room === '' ? conv : find(c.chat, channelName(cmd.room));
      if (room === undefined || room.kind !== 'room')
        return noteAnd(c, cmd.room === '' ? 'This is not a room: /close closes it.' : `You are not in ${cmd.room}.`);
      return leave(c, room.id, cmd.reason);
    }
    case 'close':
      return conv === undefined ? [] : leave(c, conv.id, '');
    case 'topic':
      if (conv?.kind !== 'room') return noteAnd(c, 'This is not a room.');
      if (cmd.text === undefined) return noteAnd(c, conv.topic === '' ? `${conv.name} has no topic.` : `Topic of ${conv.name}: ${conv.topic}`, 'event');
      return [format('TOPIC', conv.name, cmd.text)];
    case 'nick':
      return [format('NICK', cmd.nick)];
    case 'away':
      return [cmd.text === '' ? 'AWAY' : format('AWAY', cmd.text)];
    case 'help':
      for (const text of HELP) note(c, text, 'event');
      return [];
    case 'error':
      return noteAnd(c, cmd.text);
  }
}

function noteAnd(c: Client, text: string, kind: LineKind = 'error'): string[] {
  note(c, text, kind);
  return [];
}

/** Lines sent as they are, one message each (a paste the user agreed to send as several). */
export function sayLines(c: Client, text: string): string[] {
  const conv = current(c.chat);
  if (conv === undefined || conv.kind === 'server') return noteAnd(c, 'Choose a room or a person first: /join ROOM or /query NAME.');
  return messageLines(text).flatMap((line) => sayTo(c, conv, line, false));
}

/** How many messages TEXT from the message box is: more than one asks first. */
export function messageCount(text: string): number {
  return messageLines(text).length;
}

function sayTo(c: Client, conv: Conversation, text: string, action: boolean): string[] {
  const lines = splitBytes(text, TEXT_BYTES).map((piece) => format('PRIVMSG', conv.name, action ? `\x01ACTION ${piece}\x01` : piece));
  // Without echo-message the server does not send our own messages back: shown here at once.
  if (!c.caps.has('echo-message')) {
    for (const piece of splitBytes(text, TEXT_BYTES)) {
      addLine(c.chat, conv, makeLine(c.chat, { at: c.now(), kind: action ? 'action' : 'message', from: c.chat.nick, text: piece, local: true }));
    }
  }
  return lines;
}

/** Joins ROOM (`dev` or `#dev`) and shows it once joined; shows it at once if joined already. */
export function join(c: Client, room: string, key = ''): string[] {
  const name = channelName(room.trim());
  if (!NAME_RE.test(name.slice(1))) return noteAnd(c, `${room} cannot be a room: 1 to 32 letters, digits, _ or -.`);
  const known = find(c.chat, name);
  if (known?.joined) {
    select(c.chat, known.id);
    return [];
  }
  c.wanted.add(fold(name));
  if (key !== '') c.keys.set(fold(name), key);
  return key === '' ? [format('JOIN', name)] : [format('JOIN', name, key)];
}

/** Opens (and shows) the direct-message conversation with NICK, with its history when the server keeps one. */
export function openQuery(c: Client, nick: string): string[] {
  const name = nick.trim().replace(/^@/, '');
  if (!NAME_RE.test(name)) return noteAnd(c, `${nick} cannot be a name: 1 to 32 letters, digits, _ or -.`);
  const known = find(c.chat, name);
  const conv = conversation(c.chat, name);
  select(c.chat, conv.id);
  return known === undefined && c.registered ? historyLine(c, name) : [];
}

/** Leaves room ID (PART; it goes from the list when the server confirms), or closes a conversation. */
export function leave(c: Client, id: string, reason = ''): string[] {
  const conv = c.chat.conversations.get(id);
  if (conv === undefined) return [];
  if (conv.kind === 'room' && conv.joined) return [reason === '' ? format('PART', conv.name) : format('PART', conv.name, reason)];
  remove(c.chat, id);
  c.keys.delete(id);
  return [];
}

/** MARKREAD for what was read since the last call (draft/read-marker): other devices and the next login start there. */
export function markers(c: Client): string[] {
  if (!c.registered || !c.caps.has('draft/read-marker')) return [];
  return takeMarkers(c.chat).map(({ name, at }) => format('MARKREAD', name, `timestamp=${new Date(at).toISOString()}`));
}
