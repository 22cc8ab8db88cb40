import { isValidName } from '../../protocol/names.js';

/**
 * One IRC message (https://modern.ircdocs.horse, IRCv3 message-tags). Pure: no sockets, no
 * state; the framing (CRLF or LF) and the UTF-8 decoding happen before a line gets here.
 */
export interface IrcMessage {
  tags: Map<string, string>;
  source: string | undefined;
  command: string;
  params: string[];
}

/** Bytes of a message without its tags, CRLF included (RFC 1459, modern.ircdocs.horse). */
export const MESSAGE_MAX = 512;
/**
 * Bytes of the tag part, its '@' and the space after it included. IRCv3 message-tags: a client
 * sends at most 4094 of client tags, but a server accepts 8191 in all (server tags included).
 */
export const TAGS_MAX = 8191;
/** RFC 1459: a command has at most 15 parameters. */
const PARAMS_MAX = 15;

export type Parsed = { ok: true; message: IrcMessage } | { ok: false; error: 'empty' | 'tags-too-long' | 'too-long' | 'no-command' };

const EMPTY: Parsed = Object.freeze({ ok: false, error: 'empty' });
const TAGS_TOO_LONG: Parsed = Object.freeze({ ok: false, error: 'tags-too-long' });
const TOO_LONG: Parsed = Object.freeze({ ok: false, error: 'too-long' });
const NO_COMMAND: Parsed = Object.freeze({ ok: false, error: 'no-command' });

/**
 * Parses LINE: one line, decoded, without its CRLF or LF. Lenient where clients are sloppy
 * (several spaces between parts, leading spaces, trailing spaces after the last middle param);
 * the limits are in bytes as sent, escapes counted as written.
 */
export function parseMessage(line: string): Parsed {
  let i = skipSpaces(line, 0);
  if (i === line.length) return EMPTY;

  let tags = NO_TAGS;
  let tagBytes = 0;
  if (line[i] === '@') {
    const space = line.indexOf(' ', i);
    const end = space === -1 ? line.length : space;
    // The tag part is '@' through its one trailing space; a line of only tags has no space.
    tagBytes = Buffer.byteLength(line.slice(i, end)) + (space === -1 ? 0 : 1);
    if (tagBytes > TAGS_MAX) return TAGS_TOO_LONG;
    tags = parseTags(line.slice(i + 1, end));
    i = end;
  }
  // CRLF is not in LINE, so the rest may have 2 bytes less than the limit that counts it. A
  // character is at most 3 bytes: a short line is not counted byte by byte.
  if ((line.length - i) * 3 > MESSAGE_MAX - 2 && Buffer.byteLength(line) - tagBytes > MESSAGE_MAX - 2) return TOO_LONG;

  i = skipSpaces(line, i);
  let source: string | undefined;
  if (line[i] === ':') {
    const end = wordEnd(line, i);
    // ': PING' gives an empty source: what was sent, not read as no source.
    source = line.slice(i + 1, end);
    i = skipSpaces(line, end);
  }
  if (i === line.length) return NO_COMMAND;
  const end = wordEnd(line, i);
  const command = asciiUpper(line.slice(i, end));
  i = end;

  const params: string[] = [];
  for (;;) {
    i = skipSpaces(line, i);
    if (i === line.length) break;
    if (line[i] === ':') {
      params.push(line.slice(i + 1));
      break;
    }
    // RFC 2812's grammar: after 14 middles the rest of the line is the trailing param, its ':'
    // optional. So nothing is dropped and the count never passes 15.
    if (params.length === PARAMS_MAX - 1) {
      params.push(line.slice(i));
      break;
    }
    const end = wordEnd(line, i);
    params.push(line.slice(i, end));
    i = end;
  }
  return { ok: true, message: { tags, source, command, params } };
}

function skipSpaces(line: string, i: number): number {
  while (line.charCodeAt(i) === 0x20) i++;
  return i;
}

function wordEnd(line: string, i: number): number {
  const space = line.indexOf(' ', i);
  return space === -1 ? line.length : space;
}

/** ASCII only: toUpperCase would turn 'joın' (dotless i) into 'JOIN' and 'ß' into 'SS'. */
function asciiUpper(word: string): string {
  return HAS_LOWER.test(word) ? word.replace(/[a-z]+/g, (s) => s.toUpperCase()) : word;
}

const HAS_LOWER = /[a-z]/;
/** The tags of a message without any: one empty map for all, never written to. */
const NO_TAGS: Map<string, string> = new Map();

function parseTags(text: string): Map<string, string> {
  const tags = new Map<string, string>();
  for (const item of text.split(';')) {
    const eq = item.indexOf('=');
    const key = eq === -1 ? item : item.slice(0, eq);
    // ';;', a trailing ';' or '=x' name nothing: skipped rather than refusing the message.
    if (key === '') continue;
    // A duplicate key: the last value wins (the spec), at the first one's place in the order.
    tags.set(key, eq === -1 ? '' : unescapeTagValue(item.slice(eq + 1)));
  }
  return tags;
}

const UNESCAPES: Readonly<Record<string, string>> = { ':': ';', s: ' ', '\\': '\\', r: '\r', n: '\n' };

function unescapeTagValue(raw: string): string {
  if (!raw.includes('\\')) return raw;
  let out = '';
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i]!;
    if (c !== '\\') {
      out += c;
      continue;
    }
    i++;
    // A lone trailing backslash is dropped; before any other character it is dropped alone.
    if (i === raw.length) break;
    const next = raw[i]!;
    out += UNESCAPES[next] ?? next;
  }
  return out;
}

const ESCAPES: Readonly<Record<string, string>> = { ';': '\\:', ' ': '\\s', '\\': '\\\\', '\r': '\\r', '\n': '\\n' };

export function escapeTagValue(value: string): string {
  return value.replace(/[; \\\r\n]/g, (c) => ESCAPES[c]!);
}

/** A letter command or a three-digit numeric: all a server sends. */
const COMMAND = /^(?:[A-Za-z]+|[0-9]{3})$/;
/** A tag key may hold anything that does not end the key, the tag, the tag part or the line. */
const BAD_KEY = /[=; \r\n\0]/;

/**
 * The line for M, without CRLF. A part that would change the message's meaning once parsed
 * (a middle param with a space, a CR or LF that would end the line early...) is a bug in the
 * caller: it throws rather than send something else than was meant. Lengths are not checked:
 * what to cut, and where, is the caller's business.
 */
export function formatMessage(m: {
  tags?: ReadonlyMap<string, string> | Record<string, string | undefined>;
  source?: string | undefined;
  command: string;
  params?: readonly string[];
}): string {
  let out = '';
  const tags = m.tags === undefined ? [] : isMap(m.tags) ? [...m.tags] : Object.entries(m.tags);
  if (tags.length > 0) {
    const items: string[] = [];
    for (const [key, value] of tags) {
      if (key === '' || BAD_KEY.test(key)) throw new Error(`formatMessage: bad tag key ${JSON.stringify(key)}`);
      items.push(value === undefined || value === '' ? key : `${key}=${escapeTagValue(value)}`);
    }
    out += `@${items.join(';')} `;
  }
  if (m.source !== undefined) {
    if (m.source === '' || m.source.includes(' ')) throw new Error(`formatMessage: bad source ${JSON.stringify(m.source)}`);
    out += `:${m.source} `;
  }
  if (!COMMAND.test(m.command)) throw new Error(`formatMessage: bad command ${JSON.stringify(m.command)}`);
  out += m.command;

  const params = m.params ?? [];
  if (params.length > PARAMS_MAX) throw new Error(`formatMessage: ${params.length} params, at most ${PARAMS_MAX}`);
  const last = params.length - 1;
  for (let i = 0; i < params.length; i++) {
    const p = params[i]!;
    const trailing = p === '' || p.includes(' ') || p.startsWith(':');
    if (!trailing) out += ` ${p}`;
    else if (i === last) out += ` :${p}`;
    else throw new Error(`formatMessage: middle param ${i} ${JSON.stringify(p)} is empty, has a space or starts with ':'`);
  }
  // Tag values are escaped; a CR, LF or NUL left anywhere would split or cut the line.
  if (/[\r\n\0]/.test(out)) throw new Error('formatMessage: CR, LF or NUL in the message');
  return out;
}

function isMap(tags: ReadonlyMap<string, string> | Record<string, string | undefined>): tags is ReadonlyMap<string, string> {
  return tags instanceof Map;
}

/** Our names are IRC nicks as they are: no translation, so a nick is a name or is refused. */
export function isValidNick(nick: string): boolean {
  return isValidName(nick);
}

/** `#ROOM` → `ROOM` when ROOM is a valid name; anything else is no channel of ours. */
export function channelRoom(target: string): string | undefined {
  if (!target.startsWith('#')) return undefined;
  const room = target.slice(1);
  return isValidName(room) ? room : undefined;
}
