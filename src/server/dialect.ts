import type { Timers } from '../protocol/timers.js';
import type { PasswordRefusal, PresenceEnd } from '../protocol/codes.js';
import type { RoomEvent } from '../hub/hub.js';
import type { RoomState, Topic } from '../protocol/room-state.js';
import type { Command, Conversation } from './command.js';

/**
 * What the core needs of a dialect (STYLE.md, point 19): bytes to lines, a line to a chat
 * command, and the words for what the core has to say. The core imports this interface,
 * never a dialect; src/app/ hands it the dialect of each listener (src/dialects/line/,
 * src/dialects/irc/).
 */
export interface Dialect {
  /**
   * The words of a connection that keeps no state of its own (voice), and of what the core
   * says before a connection has any (a refusal at accept): the line protocol's are the
   * module itself.
   */
  readonly words: Words;
  /** A framer for one connection, handing its lines to SINK. */
  framer(sink: LineSink, limits: { maxLine: number; flushMs: number }, timers: Timers): Framer;
  /**
   * One line as a chat command. UNFRAMED: the connection has never sent an LF, so separate
   * send()s of it may have been joined into this line (docs/protocol.md, "Bytes and lines").
   * PLAIN: the line holds printable ASCII, TAB and CR only (LineSink.line).
   */
  parse(line: string, unframed: boolean, plain?: boolean): Command;
  /**
   * For a dialect whose words depend on who they are said to (IRC's replies name their
   * receiver, and follow what it negotiated): its parser and words for one connection.
   * Without it, every connection shares `parse` and `words`.
   */
  voice?(conn: DialectConnection): Voice;
  /**
   * Forms a room event may take for this dialect's receivers (RoomEvent rendered once per
   * form: room messages to thousands cost one encoding each): Voice.form is one of
   * 0..forms-1. Default 1.
   */
  readonly forms?: number;
  /**
   * EVENT in ROOM as receivers of FORM get it. TAGGED: ROOM is not the receiver's current
   * room (docs/protocol.md, "Rooms"). A Buffer for what many get, else a string.
   */
  render(event: RoomEvent, room: string, tagged: boolean, form: number): Buffer | string;
  /** Whether an untagged rendering names its room (IRC): then it is not shared between rooms. */
  readonly namesRoom?: boolean;
}

/** What a dialect may know of its connection. */
export interface DialectConnection {
  /** The registered name, once registered. */
  readonly name: string | undefined;
  /** The peer's address as shown. */
  readonly address: { readonly host: string };
}

/** A dialect's state for one connection (Dialect.voice). */
export interface Voice {
  readonly words: Words;
  parse(line: string, unframed: boolean, plain?: boolean): Command;
  /** Which of the dialect's forms this connection gets room events in (Dialect.forms); may change. */
  readonly form: number;
  /** The connection has closed: what the dialect keeps of it elsewhere goes. */
  closed?(): void;
  /**
   * An answer (Session.send) on its way out, LF-separated lines without the last LF: what
   * to send instead, '' for nothing yet. For a dialect that frames a command's answers
   * together (IRC's labeled-response); not called for deliveries from others.
   */
  answer?(lines: string): string;
}

/** Where a framer's lines go. */
export interface LineSink {
  /**
   * A complete line, terminator removed, decoded and without control characters (a raw
   * framer's keeps them). PLAIN: it holds nothing but printable ASCII, TAB and CR, as the
   * framer found whole reads to be (so a dialect need not look for anything else again).
   */
  line(text: string, plain?: boolean): void;
  /** A line went over the limit; its bytes are being thrown away. */
  overflow(): void;
}

/** Bytes to lines for one connection, fed a read at a time (src/dialects/line/framer.ts). */
export interface Framer {
  /** Decodes CHUNK from START up to the end of one line, which goes to the sink; returns where it stopped. AT: when the bytes came. */
  pushLine(chunk: Buffer, start: number, at: number): number;
  /** Bytes read that are not a line yet. */
  readonly pendingBytes: number;
  /** Memory held for the unfinished line. */
  readonly bufferBytes: number;
  /** Bytes of overlong lines thrown away, all told. */
  readonly discardedBytes: number;
  /** True while the connection has never sent an LF. */
  readonly unframed: boolean;
  /** The flush delay stops (the server is not reading) and goes on. */
  pause(): void;
  resume(): void;
  /** The peer finished sending: an unfinished last line counts. */
  end(): void;
  dispose(): void;
}

/**
 * Everything the core says to a person, by what it means; the dialect words it. Each
 * returns the line (or lines) as the dialect sends them.
 */
export interface Words {
  /** ROOM: the room it was said in, when that is not the receiver's current room (docs/protocol.md, "Rooms"). */
  roomMessage(from: string, text: string, room?: string): string;
  /** NOTICE: a notice (IRC's NOTICE), for a dialect that has them; CTCP: a CTCP message (DirectMessage.ctcp), '' for a dialect without. */
  directMessage(from: string, text: string, notice?: boolean, ctcp?: boolean): string;
  connected(host: string, port: number): string;
  registered(name: string): string;
  youAreNow(name: string): string;
  joined(name: string, room?: string): string;
  renamed(oldName: string, newName: string): string;
  left(name: string, reason?: string, room?: string): string;
  /** The reason shown when the cluster, not the user, ends a presence ("* NAME left (REASON)"). */
  leftBecause(why: PresenceEnd): string;
  /** A message answered at once that then did not reach the cluster (docs/cluster.md). */
  mayNotBeDelivered(name: string): string;
  /** Messages for this user may have been lost in the cluster (a failover): where to look. */
  mayHaveLost(): string;
  /** AS: the mark of the `who` command answered (Command), for a dialect that lists in several ways. */
  online(names: readonly string[], as?: string): string;
  pong(token: string): string;
  /** docs/protocol.md, "Away": the user marked away with TEXT, or back. */
  youAreAway(text: string): string;
  youAreBack(): string;
  /** To the sender of a direct message to NAME, who is away with TEXT. */
  isAway(name: string, text: string): string;
  /** At the login of an operator account: that it is one, and what it may do. */
  youAreOperator(): string;
  youAreIn(room: string): string;
  /** REASON: the one given to /part, for a dialect that shows it to the leaver too (IRC's PART). */
  youLeft(room: string, reason?: string): string;
  yourRooms(rooms: readonly string[]): string;
  inNoRoom(): string;
  notInRoom(room: string): string;
  historyNotMember(room: string): string;
  /** ROOM: the room a /join asked for, for the join refusals (IRC names it). */
  serverRoomsFull(max: number, room?: string): string;
  /** VIEW: the room's state, for the marks of its operators (`@alice`) and what IRC asks of it. */
  inRoom(room: string, names: readonly string[], as?: string, view?: RoomView): string;
  /** WHOIS: NAME is online, in ROOMS where this server knows them (undefined: on another server); OPIN: whether NAME is a room operator of ROOM. */
  whois(name: string, rooms: readonly string[] | undefined, opIn?: (room: string) => boolean): string;
  /** WHOIS of NAME, whom nobody holds (IRC ends it with 318; the line protocol says no such user). */
  whoisNobody(name: string): string;
  /** A message to a room one is not in; MODERATED: one is in it, but it is moderated and one has no voice. */
  cannotSendTo(room: string, moderated?: boolean): string;
  /** An account's password was right (Command `authenticate`). */
  authenticated(name: string): string;
  /**
   * What this connection is shown of its own message once sent (IRC's echo-message), or
   * undefined for nothing. ROOM for a room message, TO for a direct one; AT: the time it was
   * kept with, which its history (historyWindow) shows again.
   */
  ownRoomMessage?(room: string, text: string, notice: boolean, at?: number): string | undefined;
  ownDirectMessage?(to: string, text: string, notice: boolean, ctcp: boolean, at?: number): string | undefined;
  roomList(rooms: readonly { name: string; count: number }[]): string;
  shuttingDown(): string;
  nameTaken(name: string): string;
  invalidName(): string;
  invalidRoom(): string;
  registerFirst(): string;
  noSuchUser(name: string): string;
  unknownCommand(word: string): string;
  authenticationFailed(): string;
  lineTooLong(max: number): string;
  serverFull(): string;
  clusterUnavailable(): string;
  endWithNewline(): string;
  greeting(): string;
  /** `@NAME` without its colon; TO and TEXT: what was meant, to show both ways of saying it. */
  directNeedsColon(to?: string, text?: string): string;
  passwordRequired(): string;
  tooManyFailures(): string;
  accountRemoved(): string;
  loggedInElsewhere(): string;
  registerTimeout(ms: number): string;
  idleTimeout(ms: number): string;
  tooManyFromAddress(max: number): string;
  directNeedsText(): string;
  noSuchRoom(room: string, as?: string): string;
  tooManyRooms(max: number, room?: string): string;
  joinNeedsRoom(): string;
  loginsWaiting(): string;
  claimUnavailable(): string;
  whoUnavailable(): string;
  roomsUnavailable(): string;
  joinUnavailable(room?: string): string;
  evicted(name: string): string;
  historyEntry(at: number, from: string, text: string): string;
  endOfHistory(n: number): string;
  historyUsage(max: number): string;
  historyUnavailable(): string;
  keptForLater(name: string): string;
  waitingForYou(n: number): string;
  keptMessage(at: number, from: string, text: string): string;
  tooManyNewRooms(room?: string): string;
  keptFull(name: string): string;
  keptFullFromYou(name: string): string;
  notKept(name: string): string;
  kickedBy(op: string, reason: string): string;
  bannedBy(op: string, reason: string): string;
  removed(how: string): string;
  bannedAtLogin(until: number | undefined, reason: string): string;
  bansList(bans: readonly { name: string; until: number | undefined; reason: string }[]): string;
  mayLogInAgain(name: string): string;
  notBanned(name: string): string;
  notOperator(word: string): string;
  youKicked(name: string): string;
  youBanned(name: string, until: number | undefined): string;
  moderationNeedsName(word: string): string;
  notYourself(word: string): string;
  noSuchAccount(name: string): string;
  banMinutes(max: number): string;
  loginUnavailable(): string;
  moderationUnavailable(): string;
  help(): string[];
  helpOperators(): string[];

  // docs/protocol.md, "Rooms people own".
  /** /topic, or, AS 'join', the topic shown right after joining (nothing when there is none). */
  topic(room: string, topic: Topic | undefined, as?: string): string;
  notRoomOperator(word: string, room: string): string;
  roomPrivate(room: string): string;
  roomNeedsKey(room: string): string;
  roomFull(room: string, limit: number): string;
  bannedFromRoom(room: string): string;
  /** To NAME, whom BY invites to ROOM. */
  invitation(by: string, room: string): string;
  youInvited(name: string, room: string): string;
  alreadyInRoom(name: string, room: string): string;
  /** To the user a room operator removed from ROOM. */
  removedFromRoom(room: string, by: string, reason: string): string;
  /** NAME is not in ROOM (a /remove, /op or /deop of someone elsewhere). */
  notInThatRoom(name: string, room: string): string;
  /** The lobby is everyone's: it is made neither private nor keyed nor limited. */
  lobbyIsOpen(): string;
  /** A key that cannot be one (empty, a space, too long); LIMIT for a member limit that cannot be one. */
  badModeParameter(what: 'key' | 'limit' | 'ban', value: string, room: string): string;
  /** ROOM was made but is not kept for its creator, who owns MAX rooms already. */
  notOwned(room: string, max: number): string;
  /** The room's state could not be read or written (the cluster or the store is away). */
  roomUnavailable(room: string): string;
  /** A /deop of NAME, who owns ROOM: its owner is always one of its operators. */
  ownerStaysOperator(name: string, room: string): string;

  // Several devices of one account (docs/protocol.md, "Your account").
  /** A login refused: NAME has MAX devices logged in already. */
  tooManyDevices(name: string, max: number): string;
  /** `#NAME@DEVICE` with a DEVICE that cannot be one. */
  invalidDevice(): string;
  /** A rename refused: the connection is one of NAME's several devices. */
  renameWithDevices(name: string): string;
  /** A rename onto the account NAME refused: devices of it are logged in (one more is a new login). */
  renameOntoDevices(name: string): string;
  /** Another device of the account joined ROOM: this one is in it too (its current room stays, where it has one). */
  joinedFromOtherDevice(room: string): string;
  /**
   * Whether a join is followed by the room's listing (IRC's NAMES after a JOIN): then one
   * from another device is too (ChatCore.deviceJoined).
   */
  readonly namesOnJoin?: boolean;
  /** A direct message FROM (this account) sent to TO from another of its devices; '' for nothing (CTCP to a dialect without). */
  sentFromOtherDevice(from: string, to: string, text: string, notice?: boolean, ctcp?: boolean): string;
  /** One message a named device missed while away. */
  catchUpEntry(entry: CatchUpEntry): string;
  endOfCatchUp(n: number): string;
  /** A catch-up longer than it may be: it shows the last N, and /history has the rest. */
  catchUpCut(n: number): string;
  catchUpUnavailable(): string;
  /**
   * Whether this connection asks for what it missed itself (IRC's draft/chathistory): a named
   * device's catch-up is then not pushed to it, as that specification asks. Absent: false.
   */
  readonly asksForHistory?: boolean;

  // A conversation's history by time, and read markers (docs/irc.md, "History and read markers").
  /** The messages of a history window (Command `historyWindow`), oldest first; AS: the command's mark. */
  historyWindow(as: string, entries: readonly CatchUpEntry[]): string;
  /** The conversations of a `historyTargets`, each with the time of its latest message, oldest first. */
  historyTargets(targets: readonly HistoryTarget[]): string;
  /** A history window or targets refused: AS the command's mark; no such conversation for the asker (a room it is not in), or the store is away. */
  historyWindowRefused(as: string, why: 'no-such-target' | 'unavailable'): string;
  /**
   * The read marker of TARGET (AT undefined: none yet). AS: the target as the user wrote it,
   * answering its own ask; undefined when the server tells it unasked (after a JOIN, or moved
   * by another device): then only to a connection that asked to be told (toldReadMarkers).
   */
  readMarker(target: Conversation, at: number | undefined, as?: string): string;
  /** A read marker not read or set: TARGET is no room or name, or the store is away. AS as for readMarker. */
  readMarkerRefused(target: Conversation, why: 'invalid' | 'unavailable', as?: string): string;
  /** Whether this connection is told read markers unasked (IRC's draft/read-marker). Absent: false. */
  readonly toldReadMarkers?: boolean;

  /** `/passwd`: the new password is the account's now (docs/protocol.md, "Your account"). */
  passwordChanged(): string;
  /** `/passwd` without the old password and the new one. */
  passwdUsage(): string;
  /** `/passwd` changed nothing, for WHY (a wrong old password is authenticationFailed); MAX: the longest new password, for new-too-long. */
  passwordNotChanged(why: PasswordRefusal, max?: number): string;
}

/**
 * A message of a named device's catch-up (Words.catchUpEntry) or of a history window: said in
 * ROOM, or a direct message from FROM to this account, or (TO) one this account sent.
 */
export interface CatchUpEntry {
  readonly at: number;
  readonly from: string;
  readonly text: string;
  readonly room?: string;
  readonly to?: string;
}

/** A conversation of a `historyTargets` answer, and when its latest message was said. */
export interface HistoryTarget {
  readonly target: Conversation;
  readonly at: number;
}

/** A room as a listing shows it (Words.inRoom). */
export interface RoomView {
  readonly state: RoomState;
  /** Whether NAME (as listed) is a room operator. */
  isOp(name: string): boolean;
  isVoiced(name: string): boolean;
  /** Whether the asker may see the key: a room operator. */
  readonly seesKey: boolean;
}
