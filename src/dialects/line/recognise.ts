import { NAME_PATTERN } from '../../protocol/names.js';
import { parseServerLine, type ServerLine } from './server-line.js';
import { passwordChanged, serverFull, shuttingDown, youAreBack } from './wording.js';

/**
 * The client's side of wording.ts: the server lines the client acts on, each told apart by
 * one function that returns what the line says, or undefined when it is not that line. The
 * only place outside wording.ts that knows the words (docs/protocol.md, "Fixed wordings");
 * test/dialects/line/recognise.test.ts builds each line with wording.ts and reads it back.
 *
 * Each looks at the line's mark first: `* ` notices and `! ` errors are written by the server
 * itself, and a user's text never starts one (it comes after `<NAME> ` or `*NAME* `), so
 * `<bob> * pong x` is a room message, never a pong. Pure.
 */

/** A name, or a room: rooms are named with a name's characters (wording.ts: invalidRoom). */
const NAME = `(${NAME_PATTERN})`;
const ROOM_NAME = new RegExp(`^${NAME_PATTERN}$`);

/** PATTERN's groups over the text of a notice (of an error, with KIND), or undefined. */
function groups(line: ServerLine, pattern: RegExp, kind: 'notice' | 'error' = 'notice'): (string | undefined)[] | undefined {
  if (line.kind !== kind) return undefined;
  return pattern.exec(line.text)?.slice(1);
}

/** `a, b, c` as wording.ts joins names; nothing for none. */
const list = (joined: string): string[] => (joined === '' ? [] : joined.split(', '));

// Room messages from another of our rooms (docs/protocol.md, "Rooms").

const TAGGED = new RegExp(`^<${NAME}#${NAME}> (.*)$`, 's');

/**
 * `<NAME#ROOM> TEXT`: a room message from ROOM, one of our rooms but not the current one
 * (those read `<NAME> TEXT`, kind 'room'). A NAME holds no `#`, so the tag is unambiguous;
 * parseServerLine leaves the line as 'other', and a user's text never starts a line.
 */
export function recogniseTaggedMessage(line: ServerLine): { from: string; room: string; text: string } | undefined {
  if (line.kind !== 'other') return undefined;
  const g = TAGGED.exec(line.raw);
  return g ? { from: g[1]!, room: g[2]!, text: g[3]! } : undefined;
}

const SENT_DIRECT = new RegExp(`^\\*${NAME}->${NAME}\\* (.*)$`, 's');

/**
 * `*NAME->TO* TEXT`: a direct message to TO that we sent from another of our devices (NAME is
 * our own name). A name holds no `>`, so where NAME ends is plain; parseServerLine leaves
 * the line as 'other', and a user's text never starts a line.
 */
export function recogniseSentDirect(line: ServerLine): { from: string; to: string; text: string } | undefined {
  if (line.kind !== 'other') return undefined;
  const g = SENT_DIRECT.exec(line.raw);
  return g ? { from: g[1]!, to: g[2]!, text: g[3]! } : undefined;
}

// Notices.

const WELCOME = /^welcome\b/i;
const ANNOUNCED_MAX = /\bmax(?:imum)?\b[^0-9]{0,24}?(\d+) bytes\b/i;

/**
 * `* welcome...`: this server's greeting (wording.ts: greeting), or another's. MAX_LINE is
 * the line limit it announces, if any (`max 8192 bytes`); ours announces none. Not a user
 * named welcome joining, renamed or leaving: `* welcome left (max 64 bytes)` is their /quit.
 */
export function recogniseGreeting(line: ServerLine): { maxLine: number | undefined } | undefined {
  if (!groups(line, WELCOME) || recogniseJoined(line) || recogniseLeft(line) || recogniseRenamed(line)) return undefined;
  const max = ANNOUNCED_MAX.exec(line.text)?.[1];
  return { maxLine: max === undefined ? undefined : Number(max) };
}

const CONNECTED = /^connected from (?:\[([^\]\s]+)\]|([^\s:[\]]+)):(\d+)$/;

/** `* connected from HOST:PORT` (wording.ts: connected), an IPv6 HOST in brackets. */
export function recogniseConnected(line: ServerLine): { host: string; port: number } | undefined {
  const g = groups(line, CONNECTED);
  return g && { host: (g[0] ?? g[1])!, port: Number(g[2]) };
}

const UDP_HELLO = /^send \/hello (\S+) to start$/;

/** `* send /hello TOKEN to start` (wording.ts: udpHello): the TOKEN. */
export function recogniseUdpHello(line: ServerLine): string | undefined {
  return groups(line, UDP_HELLO)?.[0];
}

const REGISTERED = new RegExp(`^registered as ${NAME}$`);

/** `* registered as NAME` (wording.ts: registered): the NAME. */
export function recogniseRegistered(line: ServerLine): string | undefined {
  return groups(line, REGISTERED)?.[0];
}

const YOU_ARE_NOW = new RegExp(`^you are now ${NAME}$`);

/** `* you are now NAME` (wording.ts: youAreNow), our own new name: the NAME. */
export function recogniseYouAreNow(line: ServerLine): string | undefined {
  return groups(line, YOU_ARE_NOW)?.[0];
}

const YOU_ARE_IN = new RegExp(`^you are in ${NAME}$`);

/** `* you are in ROOM` (wording.ts: youAreIn): the ROOM. */
export function recogniseYouAreIn(line: ServerLine): string | undefined {
  return groups(line, YOU_ARE_IN)?.[0];
}

/** ` #ROOM` after a presence line from another of our rooms (docs/protocol.md, "Rooms"). */
const TAG = `(?: #${NAME})?`;

const JOINED = new RegExp(`^${NAME} joined${TAG}$`);

/**
 * `* NAME joined` (wording.ts: joined), in our current room; `* NAME joined #ROOM`, in
 * another of our rooms: the NAME, and the ROOM when tagged.
 */
export function recogniseJoined(line: ServerLine): { name: string; room: string | undefined } | undefined {
  const g = groups(line, JOINED);
  return g && { name: g[0]!, room: g[1] };
}

const LEFT = new RegExp(`^${NAME} left${TAG}(?: \\((.*)\\))?$`, 's');

/**
 * `* NAME left` or `* NAME left (REASON)` (wording.ts: left), in our current room, or with
 * ` #ROOM` before the REASON, in another of our rooms. A user leaving the chat is told
 * once, in one room we share with them. The tag has no brackets: `* bob left (#dev)` is a
 * REASON.
 */
export function recogniseLeft(line: ServerLine): { name: string; room: string | undefined; reason: string | undefined } | undefined {
  const g = groups(line, LEFT);
  return g && { name: g[0]!, room: g[1], reason: g[2] };
}

const YOU_LEFT = new RegExp(`^you left ${NAME}$`);

/**
 * `* you left ROOM`, the answer to /part: the ROOM. Not a user named you: their leaving
 * has no room, or a room after `#`.
 */
export function recogniseYouLeft(line: ServerLine): string | undefined {
  return groups(line, YOU_LEFT)?.[0];
}

const JOINED_ELSEWHERE = new RegExp(`^you joined ${NAME} from another device$`);

/**
 * `* you joined ROOM from another device`: another device of our account joined ROOM, which
 * is now one of ours too, but not the current one. The ROOM.
 */
export function recogniseJoinedElsewhere(line: ServerLine): string | undefined {
  return groups(line, JOINED_ELSEWHERE)?.[0];
}

const YOUR_ROOMS = /^your rooms \(\d+\): (.*)$/s;

/**
 * `* your rooms (N): ROOM, ROOM, ...`, the answer to /mine: our rooms, the current one
 * first. An entry that is not a room name is left out.
 */
export function recogniseYourRooms(line: ServerLine): string[] | undefined {
  const g = groups(line, YOUR_ROOMS);
  return g && list(g[0]!).filter((room) => ROOM_NAME.test(room));
}

const RENAMED = new RegExp(`^${NAME} is now ${NAME}$`);

/** `* OLD is now NEW` (wording.ts: renamed), another user's rename. */
export function recogniseRenamed(line: ServerLine): { from: string; to: string } | undefined {
  const g = groups(line, RENAMED);
  return g && { from: g[0]!, to: g[1]! };
}

const ONLINE = /^online \(\d+\): (.*)$/s;

/** `* online (N): NAME, NAME, ...` (wording.ts: online), the answer to /who: the NAMEs. */
export function recogniseOnline(line: ServerLine): string[] | undefined {
  const g = groups(line, ONLINE);
  return g && list(g[0]!);
}

const IN_ROOM = new RegExp(`^in ${NAME} \\(\\d+\\): (.*)$`, 's');

/** `* in ROOM (N): NAME, NAME, ...` (wording.ts: inRoom), the answer to /who ROOM. */
export function recogniseInRoom(line: ServerLine): { room: string; names: string[]; ops: string[] } | undefined {
  const g = groups(line, IN_ROOM);
  if (!g) return undefined;
  // Room operators come with a leading `@` (docs/protocol.md, "Rooms people own"): the name is without it.
  const listed = list(g[1]!);
  return { room: g[0]!, names: listed.map((n) => (n.startsWith('@') ? n.slice(1) : n)), ops: listed.filter((n) => n.startsWith('@')).map((n) => n.slice(1)) };
}

const ROOMS = /^rooms \(\d+\): (.*)$/s;
const ROOM_ENTRY = new RegExp(`^${NAME} \\((\\d+)\\)$`);

/**
 * `* rooms (N): ROOM (COUNT), ...` (wording.ts: roomList), the answer to /rooms. An entry
 * that is not `ROOM (COUNT)` is left out.
 */
export function recogniseRoomList(line: ServerLine): { name: string; count: number }[] | undefined {
  const g = groups(line, ROOMS);
  return (
    g &&
    list(g[0]!).flatMap((entry) => {
      const m = ROOM_ENTRY.exec(entry);
      return m ? [{ name: m[1]!, count: Number(m[2]) }] : [];
    })
  );
}

const PONG = /^pong(?: (.*))?$/s;

/** `* pong TOKEN`, or `* pong` for an empty one (wording.ts: pong): the TOKEN. */
export function recognisePong(line: ServerLine): string | undefined {
  const g = groups(line, PONG);
  return g && (g[0] ?? '');
}

/** `* server shutting down` (wording.ts: shuttingDown). */
export function recogniseShuttingDown(line: ServerLine): true | undefined {
  return line.raw === shuttingDown() || undefined;
}

// History and messages kept for later (docs/protocol.md, "History").

/** A time as wording.ts's historyTime writes it: UTC to the second, 2026-11-27T05:15:05Z. */
const TIME = '\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}Z';

/** TIME in ms, or undefined for a time that is no time (month 13). */
function timeAt(text: string): number | undefined {
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : at;
}

/** `[TIME] ` before a room or direct message. */
const PAST = new RegExp(`^\\[(${TIME})\\] (.*)$`, 's');

/** A line of the past: `* [TIME] ` and the line as it was sent then, read by parseServerLine; AT in ms. */
function pastLine(line: ServerLine): { at: number; line: ServerLine } | undefined {
  const g = groups(line, PAST);
  const at = g && timeAt(g[0]!);
  return g && at !== undefined ? { at, line: parseServerLine(g[1]!) } : undefined;
}

/** A message of the past of KIND, as pastLine reads it. */
function past(line: ServerLine, kind: 'room' | 'direct'): { at: number; from: string; text: string } | undefined {
  const p = pastLine(line);
  return p?.line.kind === kind ? { at: p.at, from: p.line.from, text: p.line.text } : undefined;
}

/** `* [TIME] <NAME> TEXT` (wording.ts: historyEntry), a room message of the past; AT in ms. */
export function recogniseHistoryEntry(line: ServerLine): { at: number; from: string; text: string } | undefined {
  return past(line, 'room');
}

/** `* [TIME] *FROM* TEXT` (wording.ts: keptMessage), a direct message kept for us; AT in ms. */
export function recogniseKeptMessage(line: ServerLine): { at: number; from: string; text: string } | undefined {
  return past(line, 'direct');
}

/**
 * `* [TIME] <FROM#ROOM> TEXT`, a room message of the catch-up a named device gets at login
 * (always with its ROOM); AT in ms.
 */
export function recogniseCaughtUpRoom(line: ServerLine): { at: number; from: string; room: string; text: string } | undefined {
  const p = pastLine(line);
  const m = p && recogniseTaggedMessage(p.line);
  return m && { at: p.at, ...m };
}

/** `* [TIME] *NAME->TO* TEXT`, of the catch-up: a direct message we sent from another device; AT in ms. */
export function recogniseCaughtUpSent(line: ServerLine): { at: number; from: string; to: string; text: string } | undefined {
  const p = pastLine(line);
  const m = p && recogniseSentDirect(p.line);
  return m && { at: p.at, ...m };
}

const END_OF_CATCH_UP = /^end of catch-up \((\d+) messages?\)$/;

/** `* end of catch-up (N messages)`, after the catch-up, `(1 message)` too: the N. */
export function recogniseEndOfCatchUp(line: ServerLine): number | undefined {
  const g = groups(line, END_OF_CATCH_UP);
  return g && Number(g[0]);
}

const END_OF_HISTORY = /^end of history \((\d+) messages?\)$/;

/** `* end of history (N messages)` (wording.ts: endOfHistory), `(1 message)` too: the N. */
export function recogniseEndOfHistory(line: ServerLine): number | undefined {
  const g = groups(line, END_OF_HISTORY);
  return g && Number(g[0]);
}

// Errors.

const LINE_TOO_LONG = /^line too long \(max (\d+) bytes\)$/;

/** `! line too long (max N bytes)` (wording.ts: lineTooLong): the N. */
export function recogniseLineTooLong(line: ServerLine): number | undefined {
  const g = groups(line, LINE_TOO_LONG, 'error');
  return g && Number(g[0]);
}

const UNKNOWN_COMMAND = /^unknown command: \/(.*)$/is;

/** `! unknown command: /WORD` (wording.ts: unknownCommand): the WORD. */
export function recogniseUnknownCommand(line: ServerLine): string | undefined {
  return groups(line, UNKNOWN_COMMAND, 'error')?.[0];
}

const NOT_MEMBER = new RegExp(`^you are not in ${NAME}: /join ${NAME} to read its history$`);

/**
 * A refused /history, known by how it starts: `usage` for a bad N (wording.ts:
 * historyUsage), `unavailable` for a history store that cannot be read now
 * (historyUnavailable), `invalid-room` for a ROOM that is no room name (invalidRoom, which
 * answers any request naming a room), `not-member` for a room we are not in
 * (historyNotMember). In no room at all, /history gets `! you are in no room` (recogniseNoRoom).
 */
export function recogniseHistoryRefused(line: ServerLine): 'usage' | 'unavailable' | 'invalid-room' | 'not-member' | undefined {
  if (line.kind !== 'error') return undefined;
  if (line.text.startsWith('/history takes ')) return 'usage';
  if (line.text.startsWith('invalid room')) return 'invalid-room';
  if (NOT_MEMBER.test(line.text)) return 'not-member';
  return line.text.startsWith('cannot read the history') ? 'unavailable' : undefined;
}

const NO_ROOM = /^you are in no room\b/;

/** `! you are in no room: /join ROOM`: a room message sent when we are in no room at all. */
export function recogniseNoRoom(line: ServerLine): true | undefined {
  return (line.kind === 'error' && NO_ROOM.test(line.text)) || undefined;
}

const TOO_MANY_ROOMS = /^too many rooms \(max (\d+)\): \/part one first$/;

/**
 * `! too many rooms (max N): /part one first`, a /join refused: we are in N rooms already.
 * The N. Not the older refusal of a new room on a server with too many (`too many rooms
 * (max N): join one that exists, ...`): that one is no limit of ours.
 */
export function recogniseTooManyRooms(line: ServerLine): number | undefined {
  const g = groups(line, TOO_MANY_ROOMS, 'error');
  return g && Number(g[0]);
}

/** The errors that answer a login, by kind. */
export type LoginError =
  | 'name-taken'
  | 'invalid-name'
  | 'authentication-failed'
  | 'password-required'
  | 'too-many-failures'
  | 'too-many-devices'
  | 'banned'
  | 'register-timeout';

/** How each starts (wording.ts: nameTaken, invalidName, ..., registerTimeout). */
const LOGIN_ERRORS: readonly (readonly [string, LoginError])[] = [
  ['name taken', 'name-taken'],
  ['invalid name', 'invalid-name'],
  ['authentication failed', 'authentication-failed'],
  ['password required', 'password-required'],
  ['too many failed logins', 'too-many-failures'],
  ['too many devices', 'too-many-devices'],
  ['not registered within', 'register-timeout'],
];

/**
 * An error that answers a login (`! name taken: NAME`, `! password required: ...`): its kind.
 * `! too many devices logged in as NAME (max N)`: the account is logged in on as many
 * devices as the server allows; the connection stays open.
 */
export function recogniseLoginError(line: ServerLine): LoginError | undefined {
  if (line.kind !== 'error') return undefined;
  if (recogniseBannedAtLogin(line)) return 'banned';
  return LOGIN_ERRORS.find(([head]) => line.text.startsWith(head))?.[1];
}

const CLOSING = new RegExp(
  '^(too many failed logins|logged in elsewhere|not registered within \\S+ s|idle for \\S+ s' +
    `|the name ${NAME_PATTERN} was taken on another server while this one was cut off|your account was removed)` +
    ': closing the connection$',
);

/**
 * `! REASON: closing the connection` (wording.ts: tooManyFailures, loggedInElsewhere,
 * registerTimeout, idleTimeout, evicted) or `* your account was removed: closing the
 * connection` (accountRemoved): the server closes us on purpose. The REASON. Only these:
 * `! no such user: closing the connection` answers `@closing the connection:hi`.
 */
export function recogniseClosing(line: ServerLine): string | undefined {
  return (groups(line, CLOSING, 'error') ?? groups(line, CLOSING))?.[0];
}

const KICKED = new RegExp(`^kicked by ${NAME}(?:: (.*))?$`, 's');

/** `! kicked by OP` or `! kicked by OP: REASON` (wording.ts: removed(kickedBy(...))). */
export function recogniseKicked(line: ServerLine): { by: string; reason: string } | undefined {
  const g = groups(line, KICKED, 'error');
  return g && { by: g[0]!, reason: g[1] ?? '' };
}

const TOO_MANY_FROM_ADDRESS = /^too many connections from your address \(max (\d+)\)$/;

/** `! too many connections from your address (max N)` (wording.ts: tooManyFromAddress): the N. */
export function recogniseTooManyFromAddress(line: ServerLine): number | undefined {
  const g = groups(line, TOO_MANY_FROM_ADDRESS, 'error');
  return g && Number(g[0]);
}

/** `! server full` (wording.ts: serverFull). */
export function recogniseServerFull(line: ServerLine): true | undefined {
  return line.raw === serverFull() || undefined;
}

// Your account (docs/protocol.md, "Your account").

/** How the refusals of a /passwd start (wording.ts: authenticationFailed, passwdUsage, passwordNotChanged, loginsWaiting). */
const PASSWD_REFUSALS = [
  'authentication failed',
  '/passwd takes ',
  'cannot change passwords here: ',
  'no password to change: ',
  'new password refused: ',
  'too many logins are waiting ',
];

/**
 * The answer to a /passwd: `* password changed` (wording.ts: passwordChanged), or an error
 * that refuses it, an older server's `! unknown command: /passwd` too. Undefined for any
 * other line.
 */
export function recognisePasswdAnswer(line: ServerLine): 'changed' | 'refused' | undefined {
  if (line.raw === passwordChanged()) return 'changed';
  if (line.kind !== 'error') return undefined;
  if (PASSWD_REFUSALS.some((head) => line.text.startsWith(head))) return 'refused';
  return recogniseUnknownCommand(line)?.toLowerCase() === 'passwd' ? 'refused' : undefined;
}

// Away (docs/protocol.md, "Away").

const YOU_ARE_AWAY = /^you are away: (.*)$/s;

/** `* you are away: TEXT` (wording.ts: youAreAway), the answer to `/away TEXT`: the TEXT, as the server keeps it. */
export function recogniseYouAreAway(line: ServerLine): string | undefined {
  return groups(line, YOU_ARE_AWAY)?.[0];
}

/** `* you are back` (wording.ts: youAreBack), the answer to `/away` alone. */
export function recogniseYouAreBack(line: ServerLine): true | undefined {
  return line.raw === youAreBack() || undefined;
}

// Moderation (docs/protocol.md, "Moderation"). Times are UTC (TIME); the terminal shows them in local time.

/** When a ban ends: TIME in ms, undefined for none (`lifted`, or no TIME at all), null for a TIME that is no time (month 13). */
function banEnd(time: string | undefined): number | undefined | null {
  if (time === undefined || time === 'lifted') return undefined;
  return timeAt(time) ?? null;
}

const BANNED_AT_LOGIN = new RegExp(`^banned(?: until (${TIME}))?(?:: (.*))?$`, 's');

/**
 * `! banned until TIME: REASON`, `! banned: REASON` or `! banned` (wording.ts: bannedAtLogin),
 * a login refused: UNTIL in ms (undefined: until lifted), and the REASON ('' for none). Not
 * `! banned by OP: REASON`, which ends a connection that was logged in.
 */
export function recogniseBannedAtLogin(line: ServerLine): { until: number | undefined; reason: string } | undefined {
  const g = groups(line, BANNED_AT_LOGIN, 'error');
  const until = g && banEnd(g[0]);
  return !g || until === null ? undefined : { until, reason: g[1] ?? '' };
}

const BANS = /^bans \((\d+)\): ?(.*)$/s;
/** What follows `until` in a ban of the list: TIME, or `lifted` for a ban without end. */
const BAN_END = `(?:${TIME}|lifted)`;
/**
 * One ban of the list, `NAME until END` and ` (REASON)` when there is one, up to the next ban
 * or the end of the line: a REASON may hold `, ` and brackets of its own.
 */
const BAN_ENTRY = new RegExp(`(${NAME_PATTERN}) until (${BAN_END})(?: \\((.*?)\\))?(?=, ${NAME_PATTERN} until ${BAN_END}|$)`, 'ys');
/** The newer servers' word for an empty list: `* bans (0): nobody is banned`; older ones send `* bans (0): `. */
const NOBODY = 'nobody is banned';

/**
 * `* bans (N): NAME until TIME (REASON), ...` (wording.ts: bansList), the answer to /bans:
 * each ban, UNTIL in ms (undefined: `until lifted`), REASON '' when there is none. An empty
 * list, `* bans (0): ` or `* bans (0): nobody is banned`, is []. A list that does not read
 * as N bans is none of this.
 */
export function recogniseBansList(line: ServerLine): { name: string; until: number | undefined; reason: string }[] | undefined {
  const g = groups(line, BANS);
  if (!g) return undefined;
  const count = Number(g[0]);
  const text = g[1]!;
  if (count === 0) return text === '' || text === NOBODY ? [] : undefined;
  const bans: { name: string; until: number | undefined; reason: string }[] = [];
  for (let at = 0; at < text.length; at += 2) {
    BAN_ENTRY.lastIndex = at;
    const m = BAN_ENTRY.exec(text);
    const until = m && banEnd(m[2]);
    if (!m || until === null) return undefined;
    bans.push({ name: m[1]!, until, reason: m[3] ?? '' });
    at = BAN_ENTRY.lastIndex;
  }
  return bans.length === count ? bans : undefined;
}

const YOU_BANNED = new RegExp(`^${NAME} is banned until (?:(${TIME})|/unban ${NAME_PATTERN})$`);

/**
 * `* NAME is banned until TIME` or `* NAME is banned until /unban NAME` (wording.ts:
 * youBanned), an operator's /ban taken: the NAME, and UNTIL in ms (undefined: until lifted).
 */
export function recogniseYouBanned(line: ServerLine): { name: string; until: number | undefined } | undefined {
  const g = groups(line, YOU_BANNED);
  const until = g && banEnd(g[1]);
  return !g || until === null ? undefined : { name: g[0]!, until };
}

const YOU_ARE_OPERATOR = /^you are an operator(?::|$)/;

/**
 * `* you are an operator: /help lists your commands`: sent right after `* registered as
 * NAME` to an operator's login, and after an authentication that makes the connection one.
 * Operators' commands (/kick, /ban, ...) are offered to them only.
 */
export function recogniseYouAreOperator(line: ServerLine): true | undefined {
  return (line.kind === 'notice' && YOU_ARE_OPERATOR.test(line.text)) || undefined;
}
