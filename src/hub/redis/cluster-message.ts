import { isValidName } from '../../protocol/names.js';
import type { DirectMessage, Removal, RoomChange, RoomEvent } from '../hub.js';
import { hasControl, stateOf } from '../../protocol/room-state.js';
import { AWAY_MAX } from '../../protocol/away.js';
import { cutToBytes } from '../../protocol/cut-to-bytes.js';

/**
 * What servers send each other through the chat's Redis stream, as pure functions. One entry
 * of the stream is one sender's turn: one field, FIELD, whose value is a header line, then
 * the turn's messages (frames) back to back, each a header line and LEN bytes to deliver as
 * they are:
 *
 *   ORIGIN N KEY1 SERVER1 ...\n     the sending server's id, the number of frames, then for each
 *                                   user the frames name, once, its name key and the server
 *                                   that holds it (a user nobody holds is left out)
 *   * ROOMS LEN\n<event>            rooms ROOMS (room keys, comma-separated): their users on every
 *                                   server but ORIGIN, once each however many ROOMS they are
 *                                   in; EVENT is what they are told (eventBody), which each
 *                                   server words for each user (docs/protocol.md, "Rooms")
 *   *ID ROOMS LEN\n<event>          the same, but not for server ID (it is about ID's users)
 *   @ KEY LEN\n<message>            direct: the user whose name key is KEY; MESSAGE is `m FROM
 *                                   TEXT` (directBody), which its server words for it
 *   ~ KEY LEN\n<json>               remove: an operator of ORIGIN kicked or banned user KEY;
 *                                   JSON is the Removal (the reason it and its rooms are shown)
 *   ! KEY 0\n                       evict: user KEY has lost the name to a newer login of its
 *                                   account, on server ORIGIN
 *   % KEY 0\n                       shared: server ORIGIN holds devices of account KEY now
 *                                   (docs/protocol.md, "Your account"): direct messages to it
 *                                   go into the stream too, for them
 *   + KEY LEN\n<room>               moved: a device of account KEY on ORIGIN joined ROOM (as
 *                                   shown), so its devices here are in it too; `-` left it
 *
 * A user frame (@, ~, !) is for the user KEY on the server the header line names for KEY,
 * and for nobody when it names none (there was no such user). The sender writes the frames;
 * the scripts that find each user's server (BATCH, CLAIM in scripts.ts) write the
 * header line in front of them, so that Redis copies the messages without parsing them, and
 * looks each user up once however many messages the turn has for it. LEN is a byte count: a
 * message may hold any bytes, line feeds too. N tells an entry cut short at a frame's end
 * from a whole one.
 *
 * Each entry is read once by each server (it reads on from the last id it has seen), so no
 * counter is needed to tell a duplicate.
 *
 * The sender writes the header line itself when it knows every user's server already
 * (holders.ts): then the turn is a plain XADD, with no lookup in Redis.
 *
 * The stream holds entries of one more kind, written by the scripts that take a name from
 * its server (release, free, take over): one field, NAMES_FIELD, whose value is the name
 * keys that changed hands, space-separated. Every server forgets where those users were.
 */

/**
 * The one field of an entry of ours. It changes with the entry's form: a server of another
 * release skips our entries, and we skip its, instead of misreading them (a release before
 * wrote `w`, without the frames of devices on several servers; before it `v`, with direct messages as wire bytes; before it `u`, with room frames of wire bytes for one room; before it `t`, one server per user
 * frame; an older one `m`).
 */
export const FIELD = 'x';
/** The one field of a "names changed" entry: the keys, space-separated. */
export const NAMES_FIELD = 'n';
/**
 * The one field of a "lost" entry: `SERVER ID`, a server that found, after a failover, that
 * the stream no longer holds entry ID, which it had read or written. A server that had not
 * read up to ID when the primary went lost what was there too (reader.ts).
 */
export const GAP_FIELD = 'g';
/** A user frame's kind: a direct message, an operator's removal, an eviction. */
export type UserKind = '@' | '~' | '!' | '%' | '+' | '-';

/** What an entry holds for one server, in the order it was sent. */
export type Received =
  | { kind: 'room'; rooms: string[]; event: RoomEvent }
  | { kind: 'direct'; to: string; message: DirectMessage }
  /** FIRST: this server is the first named for KEY (a room removal is carried out by one server only). */
  | { kind: 'remove'; key: string; removal: Removal; first: boolean }
  | { kind: 'evict'; key: string }
  | { kind: 'shared'; key: string }
  /** REMOVEDBY: a room operator's removal made it leave (`-` with `BY REASON` after the room). */
  | { kind: 'moved'; key: string; room: string; joined: boolean; removedBy?: { by: string; reason: string } };

const LF = 0x0a;
const ZERO = 0x30;
const STAR = 0x2a;
const AT = 0x40;
const TILDE = 0x7e;
const BANG = 0x21;
const PERCENT = 0x25;
const PLUS = 0x2b;
const MINUS = 0x2d;

/** BODY's size on the wire. */
export function byteLength(body: Buffer | string): number {
  return typeof body === 'string' ? Buffer.byteLength(body) : body.length;
}

/** The header of a frame of SIZE bytes (byteLength) for ROOMS (room keys), not for server SKIP if given. */
export function roomHeader(rooms: readonly string[], size: number, skip = ''): string {
  return `*${skip} ${rooms.join(',')} ${size}\n`;
}

/**
 * A room event as a frame's body: its kind's letter, then its parts, space-separated; names
 * hold neither spaces nor commas, and the free text (a message, a reason) comes last.
 *   m FROM TEXT (n for a notice) · j NAME,NAME · l NAME,NAME REASON · r OLD NEW; `q` for `l` when they left
 *   the chat (RoomEvent's quit), `k NAME,NAME OP REASON` when a room operator removed them;
 *   `s BY JSON` a change of the room (JSON: {changes, state}); `a NAME TEXT` NAME is away, `a NAME` back
 */
export function eventBody(event: RoomEvent): string {
  switch (event.kind) {
    case 'message':
      return `${event.notice === true ? 'n' : 'm'} ${event.from} ${event.text}`;
    case 'joined':
      return `j ${event.names.join(',')}`;
    case 'left':
      if (event.removedBy !== undefined) return `k ${event.names.join(',')} ${event.removedBy} ${event.reason}`;
      return `${event.quit === true ? 'q' : 'l'} ${event.names.join(',')} ${event.reason}`;
    case 'renamed':
      return `r ${event.from} ${event.to}`;
    case 'away':
      return event.text === undefined ? `a ${event.name}` : `a ${event.name} ${event.text}`;
    case 'changed':
      // C1 characters and line separators escaped: the body's check refuses them raw (CONTROL).
      return `s ${event.by} ${JSON.stringify({ changes: event.changes, state: event.state }).replace(/[\u0080-\u009f\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)}`;
  }
}

/**
 * A control character (C0 but TAB, DEL, C1): our servers strip them from every text
 * (docs/protocol.md), so an event holding one is another program's, and a line break in it
 * would reach every member as a second, forged line.
 */
const CONTROL = /[\x00-\x08\x0a-\x1f\x7f-\x9f]/;

/** BODY (eventBody's) as an event; undefined for anything else. */
export function eventOf(body: string): RoomEvent | undefined {
  if (CONTROL.test(body)) return undefined;
  const first = body.indexOf(' ', 2);
  const head = first < 0 ? body.slice(2) : body.slice(2, first);
  const rest = first < 0 ? '' : body.slice(first + 1);
  if (body[1] !== ' ' || head === '') return undefined;
  const names = (): string[] | undefined => {
    const list = head.split(',');
    return list.every(isValidName) ? list : undefined;
  };
  switch (body[0]) {
    case 'm':
    case 'n':
      if (!isValidName(head) || first < 0) return undefined;
      return body[0] === 'n' ? { kind: 'message', from: head, text: rest, notice: true } : { kind: 'message', from: head, text: rest };
    case 'j': {
      const list = names();
      return list && first < 0 ? { kind: 'joined', names: list } : undefined;
    }
    case 'l':
    case 'q': {
      const list = names();
      if (!list || first < 0) return undefined;
      return body[0] === 'q' ? { kind: 'left', names: list, reason: rest, quit: true } : { kind: 'left', names: list, reason: rest };
    }
    case 'k': {
      const list = names();
      const space = rest.indexOf(' ');
      const by = space < 0 ? rest : rest.slice(0, space);
      if (!list || first < 0 || !isValidName(by)) return undefined;
      return { kind: 'left', names: list, reason: space < 0 ? '' : rest.slice(space + 1), removedBy: by };
    }
    case 'r':
      return isValidName(head) && isValidName(rest) ? { kind: 'renamed', from: head, to: rest } : undefined;
    case 's':
      return isValidName(head) && first >= 0 ? changedOf(head, rest) : undefined;
    case 'a':
      // An away text is never empty (`a NAME ` is nobody's), nor longer than our servers keep.
      if (!isValidName(head) || (first >= 0 && rest === '')) return undefined;
      return first < 0 ? { kind: 'away', name: head } : { kind: 'away', name: head, text: cutToBytes(rest, AWAY_MAX) };
    default:
      return undefined;
  }
}

/** A room's change (eventBody's `s`) from another server: its state is taken only when it is one. */
function changedOf(by: string, json: string): RoomEvent | undefined {
  try {
    const parsed = JSON.parse(json) as { changes?: unknown; state?: unknown } | null;
    const state = stateOf(parsed?.state);
    // Every change as our servers write it, or the event is none: a forged one must not reach anyone.
    if (state === undefined || !Array.isArray(parsed?.changes) || !parsed.changes.every(isRoomChange)) return undefined;
    return { kind: 'changed', by, changes: parsed.changes, state };
  } catch {
    return undefined;
  }
}

function isRoomChange(c: unknown): c is RoomChange {
  if (typeof c !== 'object' || c === null) return false;
  const r = c as Record<string, unknown>;
  switch (r.what) {
    case 'topic':
      return typeof r.text === 'string' && !hasControl(r.text);
    case 'op':
    case 'voice':
      return typeof r.on === 'boolean' && typeof r.name === 'string' && isValidName(r.name);
    case 'private':
    case 'secret':
    case 'moderated':
    case 'key':
    case 'noExternal':
    case 'topicLock':
      return typeof r.on === 'boolean';
    case 'limit':
      return r.limit === undefined || (typeof r.limit === 'number' && Number.isSafeInteger(r.limit) && r.limit >= 1);
    case 'ban':
      return typeof r.on === 'boolean' && typeof r.mask === 'string' && r.mask !== '' && r.mask.length <= 100 && !hasControl(r.mask) && !/\s/.test(r.mask);
    default:
      return false;
  }
}

/** The header of a frame of SIZE bytes (byteLength) for the user whose name key is KEY. */
export function userHeader(kind: UserKind, key: string, size: number): string {
  return `${kind} ${key} ${size}\n`;
}

/** The body of a removal frame. */
export function removalBody(removal: Removal): string {
  return JSON.stringify(removal);
}

/** A direct message's kind letter: message, notice, CTCP request, CTCP reply (a notice); `i` an invitation. */
const DIRECT_KINDS = ['m', 'n', 'c', 'd'] as const;

/**
 * The body of a direct message's frame: `m FROM TEXT` (n notice, c CTCP, d CTCP notice, i
 * invitation to the room TEXT, a FROM is away with TEXT; a name holds no space); `o FROM TO TEXT` (p for a notice):
 * what FROM sent TO, for FROM's devices (DirectMessage.sentTo).
 */
export function directBody(message: DirectMessage): string {
  if (message.sentTo !== undefined) return `${message.notice === true ? 'p' : 'o'} ${message.from} ${message.sentTo} ${message.text}`;
  const kind = message.invite === true ? 'i' : message.away === true ? 'a' : DIRECT_KINDS[(message.notice === true ? 1 : 0) + (message.ctcp === true ? 2 : 0)];
  return `${kind} ${message.from} ${message.text}`;
}

/** BODY (directBody's) as a message; undefined for anything else (a control character: see CONTROL). */
export function directOf(body: string): DirectMessage | undefined {
  if (body[0] === 'o' || body[0] === 'p') {
    const event = eventOf(`m${body.slice(1)}`);
    if (event?.kind !== 'message') return undefined;
    const space = event.text.indexOf(' ');
    const sentTo = space < 0 ? '' : event.text.slice(0, space);
    if (!isValidName(sentTo)) return undefined;
    return { from: event.from, text: event.text.slice(space + 1), sentTo, ...(body[0] === 'p' ? { notice: true } : {}) };
  }
  const invite = body[0] === 'i';
  const away = body[0] === 'a';
  const kind = invite || away ? 0 : DIRECT_KINDS.indexOf(body[0] as (typeof DIRECT_KINDS)[number]);
  const event = kind < 0 ? undefined : eventOf(`m${body.slice(1)}`);
  if (event?.kind !== 'message') return undefined;
  const { from, text } = event;
  if (invite) return isValidName(text) ? { from, text, invite: true } : undefined;
  if (away) return { from, text, away: true };
  return { from, text, ...((kind & 1) !== 0 ? { notice: true } : {}), ...((kind & 2) !== 0 ? { ctcp: true } : {}) };
}

/**
 * The frames of a turn as one argument: one string when they all are (no copy into a
 * Buffer), else one Buffer.
 */
export function joinFrames(frames: readonly (Buffer | string)[]): Buffer | string {
  if (frames.every((f) => typeof f === 'string')) return frames.join('');
  return Buffer.concat(frames.map((f) => (typeof f === 'string' ? Buffer.from(f) : f)));
}

/**
 * An entry as BATCH and CLAIM write it, and a sender that knows every user's server: FRAMES
 * are headers and bodies, alternately; KEYS are the user keys named in them, each once, and
 * SERVERS the server holding each.
 */
export function entryOf(origin: string, keys: Iterable<string>, servers: readonly string[], frames: readonly (Buffer | string)[]): Buffer | string {
  let header = `${origin} ${frames.length / 2}`;
  let i = 0;
  // An account held on several servers (BATCH's answer `S1,S2`): a pair for each.
  for (const key of keys) for (const server of servers[i++]!.split(',')) header += ` ${key} ${server}`;
  return joinFrames([`${header}\n`, ...frames]);
}

/** entryOf as bytes, from key and server pairs (the tests write entries with it). */
export function encodeEntry(origin: string, servers: readonly (readonly [key: string, server: string])[], frames: readonly (Buffer | string)[]): Buffer {
  const entry = entryOf(
    origin,
    servers.map(([key]) => key),
    servers.map(([, server]) => server),
    frames,
  );
  return typeof entry === 'string' ? Buffer.from(entry) : entry;
}

/** The body of a `-` frame: ROOM, and BY REASON when a room operator removed the account from it. */
export function movedBody(room: string, removedBy?: { by: string; reason: string }): string {
  return removedBy === undefined ? room : `${room} ${removedBy.by} ${removedBy.reason}`;
}

/** BODY (movedBody's, JOINED for `+`) as a move; undefined for anything else. */
function movedOf(body: string, joined: boolean): { room: string; joined: boolean; removedBy?: { by: string; reason: string } } | undefined {
  if (CONTROL.test(body)) return undefined;
  const space = body.indexOf(' ');
  const room = space < 0 ? body : body.slice(0, space);
  if (!isValidName(room)) return undefined;
  if (space < 0) return { room, joined };
  const rest = body.slice(space + 1);
  const second = rest.indexOf(' ');
  const by = second < 0 ? rest : rest.slice(0, second);
  if (joined || !isValidName(by)) return undefined;
  return { room, joined, removedBy: { by, reason: second < 0 ? '' : rest.slice(second + 1) } };
}

function asRemoval(json: string): Removal | undefined {
  try {
    const parsed = JSON.parse(json) as { shown?: unknown; room?: unknown; by?: unknown; reason?: unknown } | null;
    if (typeof parsed?.shown === 'string') return CONTROL.test(parsed.shown) ? undefined : { shown: parsed.shown };
    const { room, by, reason } = parsed ?? {};
    if (typeof room !== 'string' || typeof by !== 'string' || typeof reason !== 'string') return undefined;
    if (!isValidName(room) || !isValidName(by) || CONTROL.test(reason)) return undefined;
    return { room, by, reason };
  } catch {
    return undefined;
  }
}

/** The number written at TEXT[FROM, TO): digits only, no leading zero, 10 at most; else -1. */
function lengthAt(text: string, from: number, to: number): number {
  if (to <= from || to - from > 10 || (to - from > 1 && text.charCodeAt(from) === ZERO)) return -1;
  let n = 0;
  for (let i = from; i < to; i++) {
    const digit = text.charCodeAt(i) - ZERO;
    if (digit < 0 || digit > 9) return -1;
    n = n * 10 + digit;
  }
  return n;
}

/**
 * What ENTRY (the value of FIELD) holds for server SELF, in order: nothing from SELF itself
 * (its users had its messages when they were sent). Undefined, and nothing delivered, for
 * anything that is not wholly one of our entries by its framing: another program's, a
 * truncated one. A frame well framed whose kind or body this release cannot read (a newer
 * release's, during a rolling upgrade) costs only itself: the turn's other frames for our
 * users are delivered.
 */
export function decodeEntry(entry: Buffer, self: string): Received[] | undefined {
  const first = entry.indexOf(LF);
  if (first < 0) return undefined;
  const header = entry.toString('latin1', 0, first).split(' ');
  const [origin, count] = header;
  if (!origin || count === undefined) return undefined;
  if (origin === self) return [];
  const frames = lengthAt(count, 0, count.length);
  if (frames < 0 || header.length % 2 !== 0) return undefined;
  // The users the frames name that are ours: only their frames are for us.
  const ours = new Set<string>();
  // The users for whom this server is the first named (their name's holder: BATCH lists it first).
  const firsts = new Set<string>();
  const named = new Set<string>();
  for (let i = 2; i < header.length; i += 2) {
    if (!header[i] || !header[i + 1]) return undefined;
    if (header[i + 1] === self) {
      ours.add(header[i]!);
      if (!named.has(header[i]!)) firsts.add(header[i]!);
    }
    named.add(header[i]!);
  }
  // Headers are read from one latin1 copy (a character a byte): its offsets are the entry's.
  const text = entry.toString('latin1');
  const out: Received[] = [];
  let seen = 0;
  let at = first + 1;
  while (at < text.length) {
    seen++;
    // TARGET KEY LEN\n: TARGET and KEY not empty, LEN digits.
    const eol = text.indexOf('\n', at);
    const space = text.indexOf(' ', at);
    const space2 = space < 0 ? -1 : text.indexOf(' ', space + 1);
    if (eol < 0 || space <= at || space2 <= space + 1 || space2 >= eol) return undefined;
    const length = lengthAt(text, space2 + 1, eol);
    const start = eol + 1;
    const end = start + length;
    if (length < 0 || end > text.length) return undefined;
    const kind = text.charCodeAt(at);
    const target = at;
    at = end;
    if (kind === STAR) {
      // `*ID`: not for server ID.
      const skipped = space - target - 1 === self.length && text.startsWith(self, target + 1);
      if (skipped) continue;
      const event = eventOf(entry.toString('utf8', start, end));
      if (event === undefined) continue;
      out.push({ kind: 'room', rooms: text.slice(space + 1, space2).split(','), event });
      continue;
    }
    if (space - target !== 1) return undefined;
    // Only the server named delivers: the name may have moved to another server's user since
    // (taken while this one was cut off).
    const key = ours.size === 0 ? '' : text.slice(space + 1, space2);
    const mine = key !== '' && ours.has(key);
    if (kind === AT) {
      if (!mine) continue;
      const message = directOf(entry.toString('utf8', start, end));
      if (message === undefined) continue;
      out.push({ kind: 'direct', to: key, message });
    } else if (kind === TILDE) {
      if (!mine) continue;
      const removal = asRemoval(entry.toString('utf8', start, end));
      if (removal === undefined) continue;
      out.push({ kind: 'remove', key, removal, first: firsts.has(key) });
    } else if (kind === BANG && length === 0) {
      if (mine) out.push({ kind: 'evict', key });
    } else if (kind === PERCENT && length === 0) {
      if (mine) out.push({ kind: 'shared', key });
    } else if (kind === PLUS || kind === MINUS) {
      if (!mine) continue;
      const moved = movedOf(entry.toString('utf8', start, end), kind === PLUS);
      if (moved === undefined) continue;
      out.push({ kind: 'moved', key, ...moved });
    }
    // Any other kind is a newer release's: skipped, as its bodies above are.
  }
  // Every frame counted is there.
  return seen === frames ? out : undefined;
}
