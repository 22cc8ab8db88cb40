import type { PasswordRefusal, PresenceEnd } from '../../protocol/codes.js';
import { formatHostPort } from '../../protocol/host-port.js';
import type { RoomChange } from '../../hub/hub.js';
import type { Topic } from '../../protocol/room-state.js';
import type { Conversation } from '../../server/command.js';
import type { CatchUpEntry, HistoryTarget, RoomView } from '../../server/dialect.js';

export { formatHostPort };
/**
 * Every line the server sends, in one place. The texts marked "fixed" are docs/protocol.md's
 * "Fixed wordings" table: scripts match them, so changing one is a breaking change.
 */
export const notice = (text: string): string => `* ${text}`;
export const error = (text: string): string => `! ${text}`;

/**
 * A room named on a line from a room that is not the receiver's current one (docs/protocol.md,
 * "Rooms"): `<bob#dev> hi`, `* bob joined #dev`. Nothing from the current room.
 */
const roomTag = (room: string | undefined): string => (room === undefined ? '' : ` #${room}`);

// Messages. The sender's name always comes from the server's registry (docs/protocol.md).
export const roomMessage = (from: string, text: string, room?: string): string => (room === undefined ? `<${from}> ${text}` : `<${from}#${room}> ${text}`);
/** CTCP (an IRC user's `\x01VERSION\x01`) is nothing to a line-protocol user: '' (docs/irc.md). */
export const directMessage = (from: string, text: string, _notice?: boolean, ctcp?: boolean): string => (ctcp === true ? '' : `*${from}* ${text}`);

// Fixed notices.
export const connected = (host: string, port: number): string => notice(`connected from ${formatHostPort(host, port)}`);
export const registered = (name: string): string => notice(`registered as ${name}`);
export const youAreNow = (name: string): string => notice(`you are now ${name}`);
export const joined = (name: string, room?: string): string => notice(`${name} joined${roomTag(room)}`);
export const renamed = (oldName: string, newName: string): string => notice(`${oldName} is now ${newName}`);
export const left = (name: string, reason?: string, room?: string): string => notice(`${name} left${roomTag(room)}${reason ? ` (${reason})` : ''}`);
export const online = (names: readonly string[]): string => notice(`online (${names.length}): ${names.join(', ')}`);
export const pong = (token: string): string => notice(token ? `pong ${token}` : 'pong');
export const youAreIn = (room: string): string => notice(`you are in ${room}`);
export const youLeft = (room: string): string => notice(`you left ${room}`);
export const yourRooms = (rooms: readonly string[]): string => notice(`your rooms (${rooms.length}): ${rooms.join(', ')}`);
/** docs/protocol.md, "Rooms people own": room operators are listed with a leading `@`. */
export const inRoom = (room: string, names: readonly string[], _as?: string, view?: RoomView): string =>
  notice(`in ${room} (${names.length}): ${(view === undefined ? names : names.map((n) => (view.isOp(n) ? `@${n}` : n))).join(', ')}`);
export const whois = (name: string, rooms: readonly string[] | undefined): string =>
  notice(rooms === undefined ? `${name} is online` : `${name} is online, in ${rooms.length === 0 ? 'no room' : rooms.join(', ')}`);
export const whoisNobody = (name: string): string => noSuchUser(name);
export const authenticated = (name: string): string => notice(`password of ${name} checked`);
export const roomList = (rooms: readonly { name: string; count: number }[]): string =>
  notice(`rooms (${rooms.length}): ${rooms.map((r) => `${r.name} (${r.count})`).join(', ')}`);
export const shuttingDown = (): string => notice('server shutting down');

// Fixed errors.
export const nameTaken = (name: string): string => error(`name taken: ${name}`);
export const invalidName = (): string => error('invalid name: use 1-32 letters, digits, _ or -');
export const invalidRoom = (): string => error('invalid room: use 1-32 letters, digits, _ or -');
export const registerFirst = (): string => error('register first with #yourname');
export const noSuchUser = (name: string): string => error(`no such user: ${name}`);
export const unknownCommand = (word: string): string => error(`unknown command: /${word}`);
export const authenticationFailed = (): string => error('authentication failed');
export const lineTooLong = (max: number): string => error(`line too long (max ${max} bytes)`);
export const serverFull = (): string => error('server full');
export const clusterUnavailable = (): string => error('not delivered: cluster unavailable');
export const inNoRoom = (): string => error('you are in no room: /join ROOM');
export const tooManyRooms = (max: number): string => error(`too many rooms (max ${max}): /part one first`);
/** A line of a connection without LF that may hold a direct message (docs/protocol.md, "Bytes and lines"). */
export const endWithNewline = (): string => error('not sent: end each message with a newline, so a direct message is never taken for room text');
/** A message answered at once (the addressee's server was known) that then did not reach Redis. */
export const mayNotBeDelivered = (name: string): string =>
  error(`your last messages to ${name} may not have been delivered: cluster unavailable, send them again in a moment`);
/** The cluster's stream lost entries (a failover, a Redis restarted empty): docs/cluster.md, "What a failover loses". */
export const mayHaveLost = (): string => notice("some messages may have been lost (the cluster's store restarted): /history shows what was kept");

// Our own wordings where the protocol leaves the words to us (docs/protocol.md, "This server's own wordings").
export const greeting = (): string => notice('welcome: register with #yourname, then type to chat; /help lists the commands');
/** `@carol thanks`: nothing sent, and both ways to say it (the words shown cut at 40 characters). */
export const directNeedsColon = (to?: string, text?: string): string => {
  if (to === undefined || text === undefined) return error('a direct message looks like @NAME:TEXT');
  const words = text.length > 40 ? `${text.slice(0, 40)}...` : text;
  return error(`not sent: write @${to}:${words} for a direct message, or ${to}: ${words} to speak to ${to} in the room`);
};
export const passwordRequired = (): string => error('password required: this server checks passwords, send #NAME PASSWORD');
export const tooManyFailures = (): string => error('too many failed logins: closing the connection');
export const accountRemoved = (): string => notice('your account was removed: closing the connection');
/** To an older login whose name the right password took back (docs/running.md, "Accounts"). */
export const loggedInElsewhere = (): string => error('logged in elsewhere: closing the connection');
export const registerTimeout = (ms: number): string => error(`not registered within ${ms / 1000} s: closing the connection`);
export const idleTimeout = (ms: number): string => error(`idle for ${ms / 1000} s: closing the connection`);
export const tooManyFromAddress = (max: number): string => error(`too many connections from your address (max ${max})`);
export const directNeedsText = (): string => error('nothing to send: write @NAME:TEXT');
export const noSuchRoom = (room: string): string => error(`no such room: ${room} (nobody is in it; /rooms lists the rooms)`);
export const serverRoomsFull = (max: number): string => error(`too many rooms on this server (max ${max}): join one that exists, /rooms lists them`);
export const notInRoom = (room: string): string => error(`you are not in ${room}: /mine lists your rooms`);
export const cannotSendTo = (room: string, moderated?: boolean): string =>
  error(
    moderated === true
      ? `${room} is moderated: only its operators and those they let speak may talk there`
      : `you are not in ${room}: /join ${room} to talk there`,
  );
export const historyNotMember = (room: string): string => error(`you are not in ${room}: /join ${room} to read its history`);
export const joinNeedsRoom = (): string => error('which room? write /join ROOM');
export const loginsWaiting = (): string => error('too many logins are waiting from your address: try again in a minute');

// Several servers through Redis (docs/cluster.md).
export const claimUnavailable = (): string => error('cannot take a name now: cluster unavailable, try again in a moment');
export const whoUnavailable = (): string => error('cannot list the users now: cluster unavailable, try again in a moment');
export const roomsUnavailable = (): string => error('cannot list the rooms now: cluster unavailable, try again in a moment');
export const joinUnavailable = (): string => error('cannot change rooms now: cluster unavailable, try again in a moment');
export const evicted = (name: string): string => error(`the name ${name} was taken on another server while this one was cut off: closing the connection`);
// History and messages kept for later (docs/protocol.md, "History").
/** UTC to the second, as history shows it: 2026-11-27T05:15:05Z. */
export const historyTime = (ms: number): string => new Date(ms - (ms % 1000)).toISOString().replace('.000Z', 'Z');
export const historyEntry = (at: number, from: string, text: string): string => notice(`[${historyTime(at)}] ${roomMessage(from, text)}`);
export const endOfHistory = (n: number): string => notice(`end of history (${n} messages)`);
export const historyUsage = (max: number): string =>
  error(`/history takes a room and a number of messages from 1 to ${max}, like /history 20 or /history dev 20`);
export const historyUnavailable = (): string => error('cannot read the history now: the history store is unavailable, try again in a moment');
export const keptForLater = (name: string): string => notice(`${name} is offline: the message will be delivered at their next login`);
export const waitingForYou = (n: number): string => notice(`waiting for you: ${n} messages`);
export const keptMessage = (at: number, from: string, text: string): string => notice(`[${historyTime(at)}] ${directMessage(from, text)}`);
export const tooManyNewRooms = (): string =>
  error('too many new rooms from your address: join one that has people in it (/rooms lists them), or try again in a minute');
export const keptFull = (name: string): string => error(`not delivered: ${name} has too many waiting messages`);
export const keptFullFromYou = (name: string): string => error(`not delivered: ${name} has too many waiting messages from you`);
/** The store could not keep it (a disk or Redis failure): on one server as in a cluster. */
export const notKept = (name: string): string => error(`not delivered: ${name} is offline and the message could not be kept; send it again in a moment`);

// Moderation (docs/protocol.md, "Moderation").
const because = (reason: string): string => (reason ? `: ${reason}` : '');
/** "kicked by OP: REASON", as the user is told and the room sees it. */
export const kickedBy = (op: string, reason: string): string => `kicked by ${op}${because(reason)}`;
export const bannedBy = (op: string, reason: string): string => `banned by ${op}${because(reason)}`;
export const removed = (how: string): string => error(how);
export const bannedAtLogin = (until: number | undefined, reason: string): string =>
  error(until === undefined ? `banned${because(reason)}` : `banned until ${historyTime(until)}${because(reason)}`);
export const bansList = (bans: readonly { name: string; until: number | undefined; reason: string }[]): string =>
  notice(
    `bans (${bans.length}): ${
      bans.length === 0
        ? 'nobody is banned'
        : bans.map((b) => `${b.name} until ${b.until === undefined ? 'lifted' : historyTime(b.until)}${b.reason ? ` (${b.reason})` : ''}`).join(', ')
    }`,
  );
// docs/protocol.md, "Away".
export const youAreAway = (text: string): string => notice(`you are away: ${text}`);
export const youAreBack = (): string => notice('you are back');
export const isAway = (name: string, text: string): string => notice(`${name} is away: ${text}`);
export const youAreOperator = (): string => notice('you are an operator: /help lists your commands');
export const mayLogInAgain = (name: string): string => notice(`${name} may log in again`);
export const notBanned = (name: string): string => error(`${name} is not banned: /bans lists the bans`);
export const notOperator = (word: string): string => error(`only operators may use /${word}`);
export const youKicked = (name: string): string => notice(`${name} was kicked`);
export const youBanned = (name: string, until: number | undefined): string =>
  notice(until === undefined ? `${name} is banned until /unban ${name}` : `${name} is banned until ${historyTime(until)}`);
export const moderationNeedsName = (word: string): string =>
  error(word === 'ban' ? 'whom? write /ban NAME [MINUTES] [REASON]' : `whom? write /${word} NAME${word === 'kick' ? ' [REASON]' : ''}`);
export const notYourself = (word: string): string => error(`you cannot /${word} yourself`);
export const noSuchAccount = (name: string): string => error(`no such account: ${name}`);
export const banMinutes = (max: number): string => error(`MINUTES must be a whole number from 1 to ${max}: /ban NAME [MINUTES] [REASON]`);
export const loginUnavailable = (): string => error('cannot log in now: the list of bans cannot be read, try again in a moment');
export const moderationUnavailable = (): string => error('cannot do that now: the list of bans cannot be changed, try again in a moment');

/** Reasons shown in "* NAME left (REASON)". */
const PRESENCE_ENDS: Record<PresenceEnd, string> = {
  'server-lost': 'server stopped answering',
  'server-shutdown': 'server shutting down',
  'name-taken': 'name taken on another server',
  elsewhere: 'logged in elsewhere',
};
export const leftBecause = (why: PresenceEnd): string => PRESENCE_ENDS[why];

export const help = (): string[] =>
  [
    'commands:',
    '  #NAME           register as NAME, or rename yourself',
    '  TEXT            send TEXT to everyone in your current room',
    '  @NAME:TEXT      send TEXT to NAME only, in whatever room',
    '  //TEXT          send a room message that starts with /',
    '  /join ROOM      join ROOM (creating it if nobody is in it) and make it current;',
    '                  you stay in your other rooms (you start in lobby)',
    '  /part [ROOM] [REASON]  leave ROOM (default: your current room)',
    '  /mine           list your rooms, the current one first',
    '  /rooms          list the rooms and how many are in each',
    '  /who [ROOM]     list the users online, or those in ROOM',
    '  /history [ROOM] [N]  the last N messages of ROOM (default: your current room;',
    '                  20 messages, at most 100)',
    '  /join ROOM KEY  join a room that has a key',
    "  /topic [TEXT]   show the current room's topic, or set it (room operators)",
    'room operators, in the current room (whoever made the room is one):',
    '  /op NAME, /deop NAME    make NAME a room operator, or no longer one',
    '  /remove NAME [REASON]   take NAME out of the room',
    '  /private, /public       joined by invitation only and unlisted, or open',
    '  /key [KEY]              a key to join with, or (no KEY) none',
    '  /invite NAME            let NAME join once, private or keyed',
    '  /ping [TOKEN]   check the connection: answered "* pong TOKEN"',
    '  /away [TEXT]    tell whoever writes to you that you are away; /away alone: back',
    '  /passwd OLD NEW change your password, on a server with accounts',
    '  /help           show this list',
    '  /quit [REASON]  leave the chat',
  ].map(notice);

/** What /help adds for operators (docs/protocol.md, "Moderation"). */
export const helpOperators = (): string[] =>
  [
    'operators:',
    '  /kick NAME [REASON]           disconnect NAME',
    '  /ban NAME [MINUTES] [REASON]  disconnect NAME and refuse the account (no MINUTES: until /unban)',
    '  /unban NAME                   let NAME log in again',
    '  /bans                         list the bans',
  ].map(notice);

// Rooms people own (docs/protocol.md). The fixed ones: topic, invitation, private, keyed, removed, not a room operator.
export const topic = (room: string, topic: Topic | undefined, as?: string): string =>
  topic !== undefined ? notice(`topic of ${room}: ${topic.text} (set by ${topic.by})`) : as === 'join' ? '' : notice(`${room} has no topic`);
export const notRoomOperator = (word: string): string => error(`only room operators may use /${word}`);
export const roomPrivate = (room: string): string => error(`${room} is private: ask a member for an invitation`);
export const roomNeedsKey = (room: string): string => error(`${room} needs a key: /join ${room} KEY`);
export const roomFull = (room: string, limit: number): string => error(`${room} is full (at most ${limit} people): try again later`);
export const bannedFromRoom = (room: string): string => error(`you are banned from ${room}`);
export const invitation = (by: string, room: string): string => notice(`${by} invites you to ${room}: /join ${room}`);
export const youInvited = (name: string, room: string): string => notice(`${name} is invited to ${room}`);
export const alreadyInRoom = (name: string, room: string): string => error(`${name} is in ${room} already`);
export const removedFromRoom = (room: string, by: string, reason: string): string => error(`removed from ${room} by ${by}${because(reason)}`);
export const notInThatRoom = (name: string, room: string): string => error(`${name} is not in ${room}: /who ${room} lists who is`);
export const lobbyIsOpen = (): string => error('the lobby is open to everyone: it cannot be private, keyed or limited');
export const badModeParameter = (what: 'key' | 'limit' | 'ban', _value: string, _room?: string): string =>
  error(
    what === 'key'
      ? 'a key is 1 to 23 characters without spaces or commas: /key KEY'
      : what === 'limit'
        ? 'a limit is a whole number of people from 1'
        : 'a ban mask is NICK!USER@HOST with * and ?, at most 100 characters and 100 masks',
  );
export const notOwned = (room: string, max: number): string => notice(`${room} is not kept for you: you own ${max} rooms already (max ${max})`);
export const roomUnavailable = (room: string): string => error(`cannot read or change ${room} now: try again in a moment`);
export const ownerStaysOperator = (name: string, room: string): string => error(`${name} owns ${room}: its owner is always one of its room operators`);

/** A change of a room, as its members see it: TAG names the room when it is not their current one. */
export function roomChanged(by: string, change: RoomChange, room?: string): string {
  const of = room === undefined ? '' : ` of #${room}`;
  const inRoom = room === undefined ? '' : ` in #${room}`;
  switch (change.what) {
    case 'topic':
      return notice(change.text === '' ? `${by} cleared the topic${of}` : `${by} set the topic${of}: ${change.text}`);
    case 'op':
      return notice(change.on ? `${by} made ${change.name} a room operator${inRoom}` : `${by} took room operator from ${change.name}${inRoom}`);
    case 'voice':
      return notice(change.on ? `${by} let ${change.name} speak${inRoom}` : `${by} took the voice of ${change.name}${inRoom}`);
    case 'private':
    case 'secret':
      return notice(`${by} made ${room === undefined ? 'the room' : `#${room}`} ${change.on ? change.what : 'public'}`);
    case 'moderated':
      return notice(`${by} ${change.on ? 'moderated' : 'stopped moderating'} ${room === undefined ? 'the room' : `#${room}`}`);
    case 'noExternal':
      return notice(`${by} ${change.on ? 'closed' : 'opened'} ${room === undefined ? 'the room' : `#${room}`} to messages from outside`);
    case 'topicLock':
      return notice(`${by} let ${change.on ? 'only room operators' : 'everyone'} set the topic${of}`);
    case 'key':
      return notice(change.on ? `${by} set a key${of}` : `${by} removed the key${of}`);
    case 'limit':
      return notice(
        change.limit === undefined
          ? `${by} removed the limit${of}`
          : `${by} limited${room === undefined ? ' the room' : ` #${room}`} to ${change.limit} people`,
      );
    case 'ban':
      return notice(`${by} ${change.on ? 'banned' : 'lifted the ban on'} ${change.mask}${inRoom}`);
  }
}

// UDP (docs/protocol.md, "UDP"): the only answer an unverified address gets (fixed).
export const udpHello = (token: string): string => notice(`send /hello ${token} to start`);

// Your account (docs/protocol.md, "Your account").
export const passwordChanged = (): string => notice('password changed');
export const passwdUsage = (): string => error('/passwd takes your password and a new one: /passwd OLD NEW');
/** Why /passwd changed nothing and what to do; a users file the server cannot write is its operator's to fix. */
const NOT_CHANGED: Record<Exclude<PasswordRefusal, 'new-too-long'>, string> = {
  'no-accounts': 'cannot change passwords here: this server has no accounts, so nobody has a password',
  guest: 'no password to change: you are a guest (your name is not an account)',
  'account-gone': 'no password to change: your account is no longer in the users file',
  'new-control': 'new password refused: it has a control character, which the server removes from every line; nothing was changed',
  'file-read-only': "cannot change passwords here: the users file is read-only; ask the server's operator to make it writable by the server",
  'folder-read-only':
    "cannot change passwords here: the folder of the users file is not writable by the server (the file is replaced whole); ask the server's operator to make it writable",
  'read-only-file-system': "cannot change passwords here: the users file is on a read-only file system; ask the server's operator to move it to a writable one",
  'disk-full': "cannot change passwords here: the disk of the users file is full; try again later, or tell the server's operator",
  busy: 'cannot change passwords here: the users file is being changed by someone else; try again in a moment',
  'file-error': "cannot change passwords here: the users file cannot be rewritten; ask the server's operator to look at the server's log",
};
export const passwordNotChanged = (why: PasswordRefusal, max = 0): string =>
  error(
    why === 'new-too-long'
      ? `new password refused: it must fit in a login line, "#NAME PASSWORD", so at most ${max} bytes; nothing was changed`
      : NOT_CHANGED[why],
  );

// Several devices of one account (docs/protocol.md, "Your account").
/** Fixed. */
export const tooManyDevices = (name: string, max: number): string => error(`too many devices logged in as ${name} (max ${max})`);
export const invalidDevice = (): string => error('invalid device name: use 1-32 letters, digits, _ or -, as in #NAME@laptop PASSWORD');
export const renameWithDevices = (name: string): string =>
  error(`cannot rename: you are logged in as ${name} on other devices too; log in under the other name on a new connection`);
export const renameOntoDevices = (name: string): string =>
  error(`${name} is logged in on other devices: log in as ${name} on a new connection to be one more of them`);
/** Another device of the account joined ROOM: this one is in it too, and its current room stays. */
export const joinedFromOtherDevice = (room: string): string => notice(`you joined ${room} from another device`);
/** Fixed: a direct message FROM (this account) sent to TO from another of its devices. */
export const sentFromOtherDevice = (from: string, to: string, text: string, _notice?: boolean, ctcp?: boolean): string =>
  ctcp === true ? '' : `*${from}->${to}* ${text}`;
/**
 * A line of a named device's catch-up (fixed: `* [TIME] ...`): a room message with its room
 * always named, a direct message to this account, or one it sent (TO) from another device.
 */
export const catchUpEntry = (entry: CatchUpEntry): string =>
  notice(
    `[${historyTime(entry.at)}] ${
      entry.room !== undefined
        ? roomMessage(entry.from, entry.text, entry.room)
        : entry.to !== undefined
          ? sentFromOtherDevice(entry.from, entry.to, entry.text)
          : directMessage(entry.from, entry.text)
    }`,
  );
/** Fixed. */
export const endOfCatchUp = (n: number): string => notice(`end of catch-up (${n} messages)`);
export const catchUpCut = (n: number): string => notice(`you missed more than ${n} messages: here are the last ${n}; /history ROOM shows a room's`);
export const catchUpUnavailable = (): string => error('cannot catch up now: the history store is unavailable; /history shows what your rooms said');

// A conversation's history by time, and read markers: IRC's commands (docs/irc.md, "History and
// read markers"), which the line protocol does not send; said as /history and the catch-up say it.
/** A conversation as a line names it: a room by its name, the direct messages with a name as `*NAME*`. */
const conversation = (target: Conversation): string => ('room' in target ? target.room : `*${target.name}*`);
export const historyWindow = (_as: string, entries: readonly CatchUpEntry[]): string => [...entries.map(catchUpEntry), endOfHistory(entries.length)].join('\n');
export const historyTargets = (targets: readonly HistoryTarget[]): string =>
  [...targets.map((t) => notice(`[${historyTime(t.at)}] ${conversation(t.target)}`)), endOfHistory(targets.length)].join('\n');
export const historyWindowRefused = (_as: string, why: 'no-such-target' | 'unavailable'): string =>
  why === 'unavailable' ? historyUnavailable() : error('no such conversation: join the room first to read its history');
/** The line protocol is told no read markers, and asks for none: nothing to say. */
export const readMarker = (_target: Conversation, _at: number | undefined, _as?: string): string => '';
export const readMarkerRefused = (target: Conversation, why: 'invalid' | 'unavailable'): string =>
  why === 'invalid'
    ? error(`no such room or name: ${conversation(target)}`)
    : error('cannot keep the read marker now: the store is unavailable, try again in a moment');
