/**
 * Long messages for IRC users. IRC's line is 512 bytes with its CRLF, tags not counted (they
 * have their own 8191; RFC 1459, modern.ircdocs.horse), and strict clients drop or cut a
 * longer one. A line-protocol user may send 4096 bytes of text: a message whose line would
 * pass the limit goes to IRC users as several lines, its text cut so that nothing is lost.
 * An IRC user's own message that would pass it once its source is added is refused with 417
 * instead (relayedTooLong).
 */

/** Bytes of an IRC line before its CRLF, tags excluded. */
export const LINE_MAX = 510;

/**
 * Whether NICK's message, as IRC users get it (`:SOURCE COMMAND TARGET :TEXT`, for
 * its longest target), would pass LINE_MAX. Such a message is refused with 417 rather than
 * split: an IRC client splits what its user types to fit its line, knowing its own source,
 * and gets told when it did not (irctest: buffering.py wants each message to arrive as one
 * line, whole or cut, websocket.py a first line of exactly 510 bytes, and both take 417).
 * Splitting is for what comes from other dialects, whose lines are longer (messageLines).
 */
export function relayedTooLong(nick: string, command: string, targets: string, text: string): boolean {
  // `:NICK!NICK@chat COMMAND TARGET :TEXT`: NICK is ASCII (names are), twice, and 11 bytes more.
  const fixed = 2 * nick.length + 6 + command.length + 5;
  // The usual message costs a comparison: a UTF-16 unit is at most 3 bytes of UTF-8.
  if (fixed + targets.length + text.length * 3 <= LINE_MAX) return false;
  let target = 0;
  for (const t of targets.split(',')) target = Math.max(target, Buffer.byteLength(t));
  return fixed + target + Buffer.byteLength(text) > LINE_MAX;
}

/**
 * A cut goes after the last space in the last 1/SPACE_WINDOW of the room (a fifth), as
 * bridges and clients that split do: a word is then not broken, and a part is never shorter
 * than four fifths of what fits (a long run without spaces, a URL, is cut at the limit).
 */
const SPACE_WINDOW = 5;

const ACTION_START = '\x01ACTION ';
const CTCP_MARK = '\x01';

/**
 * The lines of one message for an IRC user: HEAD (`:SOURCE PRIVMSG TARGET :`) and TEXT (as
 * IRC has it: an action in its CTCP frame), cut to fit (splitText), each part after TAGS
 * (`@...` and its space, or ''); the lines are joined by CRLF, the last one without it.
 *
 * Every part carries the message's tags: each is the same message, with the same time
 * (server-time, so that a client shows the parts, and history gives them, together and in
 * order) and the same account. A msgid would be the exception: a client that dedupes by
 * msgid would drop every part after the first, so it would go on the first part only, as
 * ergo does when it splits for a client without draft/multiline. The chat gives its messages
 * no msgid (docs/irc.md, "History and read markers"), so no line carries one today.
 */
export function messageLines(tags: string, head: string, text: string): string {
  // The usual line costs a comparison: a UTF-16 unit is at most 3 bytes of UTF-8.
  if ((head.length + text.length) * 3 <= LINE_MAX) return `${tags}${head}${text}`;
  const parts = splitText(text, LINE_MAX - Buffer.byteLength(head));
  return parts.length === 1 ? `${tags}${head}${text}` : parts.map((part) => `${tags}${head}${part}`).join('\r\n');
}

/**
 * TEXT (IRC's: an action framed in \x01) in parts of at most ROOM bytes of UTF-8 each, which
 * put together give TEXT back (an action's: their texts inside the frames). A part ends after
 * the last space in the last fifth of its room when there is one (the space stays at the end
 * of its part, so that nothing is lost and the next part does not start indented), else at
 * the room's last whole character: never inside a UTF-8 character (a character drawn from
 * several, an emoji with a skin tone, may still be cut between them). A part holds one
 * character at least, however small ROOM.
 *
 * An action (`\x01ACTION waves\x01`, a /me) is cut inside its frame, and each part is an
 * action: a client shows each as `* bob ...`. Another CTCP (VERSION, PING) is never split:
 * two halves would be two other requests, and a CTCP is small by nature (the IRC line it came
 * in held it). Only one longer than ROOM, which a 510-byte line's CTCP can be once the
 * sender's source is added, is cut, as a last resort: its end is lost, its frame is kept.
 */
export function splitText(text: string, room: number): string[] {
  if (text.length * 3 <= room || Buffer.byteLength(text) <= room) return [text];
  const bytes = Buffer.from(text, 'utf8');
  if (text.charCodeAt(0) !== 1) return cut(bytes, 0, bytes.length, room);
  const end = text.endsWith(CTCP_MARK) && text.length > 1 ? bytes.length - 1 : bytes.length;
  if (text.startsWith(ACTION_START)) {
    return cut(bytes, ACTION_START.length, end, room - ACTION_START.length - 1).map((part) => `${ACTION_START}${part}${CTCP_MARK}`);
  }
  return [`${CTCP_MARK}${cut(bytes, 1, end, room - 2)[0]!}${CTCP_MARK}`];
}

/** BYTES from FROM to END as text in parts of at most ROOM bytes (splitText's rule). */
function cut(bytes: Buffer, from: number, end: number, room: number): string[] {
  const parts: string[] = [];
  const window = Math.max(1, Math.floor(room / SPACE_WINDOW));
  let at = from;
  while (end - at > room) {
    let next = at + room;
    const lowest = Math.max(at, next - window);
    let space = next - 1;
    while (space >= lowest && bytes[space] !== 0x20) space--;
    if (space >= lowest) next = space + 1;
    else {
      // Back to the first byte of the character the limit falls in (continuation bytes are 10xxxxxx).
      while (next > at && isContinuation(bytes[next]!)) next--;
      // A room smaller than the first character: that character alone, rather than no progress.
      if (next <= at) for (next = at + 1; next < end && isContinuation(bytes[next]!); next++);
    }
    parts.push(bytes.toString('utf8', at, next));
    at = next;
  }
  if (at < end || parts.length === 0) parts.push(bytes.toString('utf8', at, end));
  return parts;
}

const isContinuation = (byte: number): boolean => (byte & 0xc0) === 0x80;
