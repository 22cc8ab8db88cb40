import type { Timers } from '../protocol/timers.js';
import type { PresenceEnd } from '../protocol/codes.js';
import type { Command } from './command.js';

/**
 * What the core needs of a dialect (STYLE.md, point 19): bytes to lines, a line to a chat
 * command, and the words for what the core has to say. The core imports this interface,
 * never a dialect; src/app/ hands it the line protocol's (src/dialects/line/).
 */
export interface Dialect {
  readonly words: Words;
  /** A framer for one connection, handing its lines to SINK. */
  framer(sink: LineSink, limits: { maxLine: number; flushMs: number }, timers: Timers): Framer;
  /**
   * One line as a chat command. UNFRAMED: the connection has never sent an LF, so separate
   * send()s of it may have been joined into this line (docs/protocol.md, "Bytes and lines").
   */
  parse(line: string, unframed: boolean): Command;
}

/** Where a framer's lines go. */
export interface LineSink {
  /** A complete line, terminator removed, decoded and without control characters. */
  line(text: string): void;
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
  directMessage(from: string, text: string): string;
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
  online(names: readonly string[]): string;
  pong(token: string): string;
  youAreIn(room: string): string;
  youLeft(room: string): string;
  yourRooms(rooms: readonly string[]): string;
  inNoRoom(): string;
  notInRoom(room: string): string;
  historyNotMember(room: string): string;
  partNeedsRoom(): string;
  serverRoomsFull(max: number): string;
  inRoom(room: string, names: readonly string[]): string;
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
  directNeedsColon(): string;
  passwordRequired(): string;
  tooManyFailures(): string;
  accountRemoved(): string;
  loggedInElsewhere(): string;
  registerTimeout(ms: number): string;
  idleTimeout(ms: number): string;
  tooManyFromAddress(max: number): string;
  directNeedsText(): string;
  noSuchRoom(room: string): string;
  tooManyRooms(max: number): string;
  joinNeedsRoom(): string;
  loginsWaiting(): string;
  claimUnavailable(): string;
  whoUnavailable(): string;
  roomsUnavailable(): string;
  joinUnavailable(): string;
  evicted(name: string): string;
  historyEntry(at: number, from: string, text: string): string;
  endOfHistory(n: number): string;
  historyUsage(max: number): string;
  historyUnavailable(): string;
  keptForLater(name: string): string;
  waitingForYou(n: number): string;
  keptMessage(at: number, from: string, text: string): string;
  tooManyNewRooms(): string;
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
}
