// IRC messages for the web page: parsing and formatting, pure (no DOM), so that node --test
// checks them and the browser runs the same code. The server's side is src/dialects/irc.

/** One IRC message: `@TAGS :SOURCE COMMAND PARAMS...`, the last parameter with its spaces. */
export interface IrcMessage {
  tags: Map<string, string>;
  /** `nick!user@host` or a server's name; '' when the line had none. */
  source: string;
  /** Upper case: `PRIVMSG`, `001`. */
  command: string;
  params: string[];
}

const TAG_ESCAPES: Record<string, string> = { ':': ';', s: ' ', '\\': '\\', r: '\r', n: '\n' };

/** A tag value as the IRCv3 message-tags spec escapes it (`\s` a space, `\:` a semicolon). */
function unescapeTag(value: string): string {
  return value.replace(/\\(.?)/g, (_, c: string) => TAG_ESCAPES[c] ?? c);
}

/** Parses LINE (without CR/LF); undefined for a line with no command. */
export function parse(line: string): IrcMessage | undefined {
  let rest = line.replace(/[\r\n]+$/, '');
  const tags = new Map<string, string>();
  if (rest.startsWith('@')) {
    const end = rest.indexOf(' ');
    if (end < 0) return undefined;
    for (const tag of rest.slice(1, end).split(';')) {
      if (tag === '') continue;
      const eq = tag.indexOf('=');
      tags.set(eq < 0 ? tag : tag.slice(0, eq), eq < 0 ? '' : unescapeTag(tag.slice(eq + 1)));
    }
    rest = rest.slice(end + 1).trimStart();
  }
  let source = '';
  if (rest.startsWith(':')) {
    const end = rest.indexOf(' ');
    if (end < 0) return undefined;
    source = rest.slice(1, end);
    rest = rest.slice(end + 1).trimStart();
  }
  const params: string[] = [];
  while (rest !== '') {
    if (rest.startsWith(':')) {
      params.push(rest.slice(1));
      break;
    }
    const end = rest.indexOf(' ');
    params.push(end < 0 ? rest : rest.slice(0, end));
    rest = end < 0 ? '' : rest.slice(end + 1).trimStart();
  }
  const command = params.shift();
  if (command === undefined || command === '') return undefined;
  return { tags, source, command: command.toUpperCase(), params };
}

/**
 * A line to send: COMMAND and PARAMS, the last one after ':' when it needs it. CR, LF and NUL
 * are taken out of every parameter: a text typed or pasted can never add a second command.
 */
export function format(command: string, ...params: string[]): string {
  const clean = params.map((p) => p.replace(/[\r\n\0]/g, ''));
  const last = clean.pop();
  // A middle parameter never holds a space, is never empty nor starts with ':' (it would read
  // as the last one): the server's own rule (src/dialects/irc/words.ts), here too.
  const middle = clean.map((p) => p.replace(/ /g, '')).map((p) => (p === '' || p.startsWith(':') ? '*' : p));
  const tail = last === undefined ? [] : last === '' || last.includes(' ') || last.startsWith(':') ? [`:${last}`] : [last];
  return [command, ...middle, ...tail].join(' ');
}

/** The nick of a source `nick!user@host`; a server's name as it is. */
export function nickOf(source: string): string {
  const bang = source.indexOf('!');
  return bang < 0 ? source : source.slice(0, bang);
}

/** A source without `!`: the server itself (nicks here always come as `nick!nick@chat`). */
export function fromServer(source: string): boolean {
  return source === '' || !source.includes('!');
}

/** Channels start with `#` (CHANTYPES=#). */
export function isChannel(name: string): boolean {
  return name.startsWith('#');
}

/** Names compare without regard to ASCII case (CASEMAPPING=ascii). */
export function fold(name: string): string {
  return name.replace(/[A-Z]+/g, (s) => s.toLowerCase());
}

/** A room's channel name: `dev` and `#dev` are both `#dev`. */
export function channelName(room: string): string {
  return isChannel(room) ? room : `#${room}`;
}

/** Chat names and rooms: 1 to 32 letters, digits, `_` or `-` (PROTOCOL.md, "Client to server"). */
export const NAME_RE = /^[A-Za-z0-9_-]{1,32}$/;

/** Base64 of the UTF-8 bytes of TEXT (btoa alone takes Latin-1 only). */
export function base64Utf8(text: string): string {
  let binary = '';
  for (const byte of new TextEncoder().encode(text)) binary += String.fromCharCode(byte);
  return btoa(binary);
}

/**
 * The AUTHENTICATE lines of SASL PLAIN for NAME and PASSWORD: the payload in pieces of 400
 * bytes, and a lone `+` after a last piece of exactly 400 (IRCv3 sasl-3.1).
 */
export function saslPlain(name: string, password: string): string[] {
  const payload = base64Utf8(`${name}\0${name}\0${password}`);
  const lines: string[] = [];
  for (let i = 0; i < payload.length; i += 400) lines.push(`AUTHENTICATE ${payload.slice(i, i + 400)}`);
  if (payload.length % 400 === 0) lines.push('AUTHENTICATE +');
  return lines;
}

/** The text of a CTCP ACTION (`\x01ACTION waves\x01`), or undefined for any other text. */
export function actionOf(text: string): string | undefined {
  const m = /^\x01ACTION(?: (.*?))?\x01?$/.exec(text);
  return m ? (m[1] ?? '') : undefined;
}

/** Any CTCP request or reply other than ACTION: not shown (VERSION, PING ...). */
export function isCtcp(text: string): boolean {
  return text.startsWith('\x01') && actionOf(text) === undefined;
}
