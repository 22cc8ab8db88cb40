import { isValidName, nameKey } from '../protocol/names.js';
import type { ServerLine } from '../dialects/line/server-line.js';
import {
  recogniseCaughtUpRoom,
  recogniseInRoom,
  recogniseJoined,
  recogniseJoinedElsewhere,
  recogniseLeft,
  recogniseOnline,
  recogniseRenamed,
  recogniseRoomList,
  recogniseSentDirect,
  recogniseYouAreIn,
  recogniseYouAreNow,
  recogniseYouAreOperator,
  recogniseYouLeft,
  recogniseYourRooms,
} from '../dialects/line/recognise.js';
import { FIRST_ROOM, roomLine } from './rooms.js';

/** The commands Tab completes after `/`: the server's (docs/protocol.md) and the client's own. */
export const COMMANDS = [
  '/away',
  '/deop',
  '/help',
  '/history',
  '/invite',
  '/join',
  '/key',
  '/m',
  '/mine',
  '/msg',
  '/nick',
  '/op',
  '/part',
  '/ping',
  '/private',
  '/public',
  '/quit',
  '/remove',
  '/rooms',
  '/topic',
  '/who',
] as const;

/** The server operators' commands (docs/protocol.md, "Moderation"): offered to operators only. */
export const OPERATOR_COMMANDS = ['/ban', '/bans', '/kick', '/unban'] as const;

/** Where Completions knows its context from. */
export interface CompletionsContext {
  /** The rooms we are in now: /part completes only those. */
  mine?: () => readonly string[];
  /** The room an untagged room line comes from: the server's current room. */
  current?: () => string | undefined;
  /** Our own name: never offered. */
  self?: () => string | undefined;
}

/** A name offered, and why we think it is there. */
interface Known {
  /** As last seen: keys are without regard to case, as the server's. */
  name: string;
  /** The rooms of ours it was last seen in, by key. */
  rooms: Set<string>;
  /** Seen online outside those rooms: a /who answer, a direct message. */
  online: boolean;
}

const byName = (a: string, b: string): number => a.localeCompare(b, 'en', { sensitivity: 'base' });

/**
 * What Tab can complete: the names of those known to be in the chat now, the rooms seen in
 * any server line (our own, those of tagged lines, of `/who ROOM`, `/rooms` and `/mine`
 * answers, those another device of ours joined), and the commands, the operators' ones only
 * to an operator (`* you are an operator`, told at login and after a rename to an operator account).
 *
 * A name is offered while the client has reason to think it is there: seen in a room of
 * ours (a message, a join, a `/who ROOM` answer) and not seen leaving it, or seen online
 * (`/who`'s answer, a direct message from it, one we sent it from another device). A rename
 * takes the old name away, ours too. Someone who leaves the chat is told once, in one room
 * we share (docs/protocol.md, "Rooms"): `* NAME left` takes NAME away once no other room of
 * ours is known to hold it, while a NAME known in another of our rooms stays (they may only
 * have left that one room). `/who`'s answer lists everyone online: whoever it leaves out is
 * gone. The past (history, messages kept for us, a catch-up) names nobody: they may have
 * left or renamed since.
 */
export class Completions {
  readonly #names = new Map<string, Known>();
  readonly #rooms = new Map<string, string>();
  #operator = false;
  readonly #mine: () => readonly string[];
  readonly #current: () => string | undefined;
  readonly #self: () => string | undefined;

  constructor({ mine = () => [], current = () => FIRST_ROOM, self = () => undefined }: CompletionsContext = {}) {
    this.#mine = mine;
    this.#current = current;
    this.#self = self;
  }

  /** Learns from one server line. */
  learn(line: ServerLine): void {
    if (recogniseYouAreOperator(line)) this.#operator = true;
    // An operator is one by its account's name: a rename ends it, and the server says
    // `* you are an operator` again right after `* you are now NAME` when NAME is one too.
    if (recogniseYouAreNow(line)) this.#operator = false;
    const inRoom = roomLine(line);
    if (inRoom) return this.#inRoom(inRoom.line, inRoom.tag ?? this.#current());
    if (line.kind === 'direct') return this.#online(line.from);
    // Who we write to from another device: as likely to be written to from this one.
    const sent = recogniseSentDirect(line);
    if (sent) return this.#online(sent.to);
    const caughtUp = recogniseCaughtUpRoom(line);
    if (caughtUp) return this.#room(caughtUp.room);
    const elsewhere = recogniseJoinedElsewhere(line);
    if (elsewhere) return this.#room(elsewhere);
    for (const room of recogniseYourRooms(line) ?? []) this.#room(room);
    const left = recogniseYouLeft(line);
    if (left) this.#weLeft(left);
    const listed = recogniseInRoom(line);
    if (listed) this.#listed(listed.room, listed.names);
    const online = recogniseOnline(line);
    if (online) this.#everyone(online);
    for (const room of recogniseRoomList(line) ?? []) this.#room(room.name);
    const moved = recogniseYouAreIn(line);
    if (moved) this.#room(moved);
    const renamed = recogniseRenamed(line);
    if (renamed) this.renamed(renamed.from, renamed.to);
  }

  /** FROM is now TO: another user's rename (learnt from its line), or our own (told by the caller). */
  renamed(from: string, to: string): void {
    const was = this.#names.get(nameKey(from));
    if (!was) return;
    this.#names.delete(nameKey(from));
    const now = this.#known(to);
    for (const room of was.rooms) now?.rooms.add(room);
    if (now) now.online ||= was.online;
  }

  /** A new connection: operator again only once the server says so. */
  loggedIn(): void {
    this.#operator = false;
  }

  /** The names offered, ours left out. */
  get names(): string[] {
    const self = this.#self();
    const key = self === undefined ? undefined : nameKey(self);
    return [...this.#names.entries()]
      .filter(([k]) => k !== key)
      .map(([, known]) => known.name)
      .sort(byName);
  }

  get rooms(): string[] {
    return [...this.#rooms.values()].sort(byName);
  }

  /**
   * readline's completer: for the line up to the cursor, the candidates and the part of the
   * line they replace. Commands after a leading `/`; rooms after `/join ` and, our own, after
   * `/part ` (then a reason may follow: a space after it); names after `/msg `, after `@`
   * (`@bob:` at the start of a line, `@bob` in a text), as the first word (`bob: `, as in
   * IRC clients) and as any later word (`bob`).
   */
  complete(before: string): [string[], string] {
    const word = /\S*$/.exec(before)?.[0] ?? '';
    const head = before.slice(0, before.length - word.length);
    const starts = (list: readonly string[], typed: string): string[] => list.filter((c) => c.toLowerCase().startsWith(typed.toLowerCase()));
    if (head === '' && word.startsWith('/')) {
      const commands = this.#operator ? [...COMMANDS, ...OPERATOR_COMMANDS].sort() : COMMANDS;
      return [starts(commands, word).map((c) => `${c} `), word];
    }
    if (/^\/join\s+$/i.test(head)) {
      const hash = word.startsWith('#') ? '#' : '';
      return [starts(this.rooms, word.slice(hash.length)).map((r) => hash + r), word];
    }
    if (/^\/part\s+$/i.test(head)) {
      const hash = word.startsWith('#') ? '#' : '';
      const mine = [...this.#mine()].sort(byName);
      return [starts(mine, word.slice(hash.length)).map((r) => `${hash}${r} `), word];
    }
    if (/^\/(msg|m|who|kick|ban|unban|op|deop|remove|invite)\s+$/i.test(head)) {
      const list = /^\/who/i.test(head) ? this.rooms : this.names;
      return [starts(list, word).map((n) => `${n} `), word];
    }
    if (word.startsWith('@')) {
      const end = head === '' ? ':' : '';
      return [starts(this.names, word.slice(1)).map((n) => `@${n}${end}`), word];
    }
    if (word === '') return [[], word];
    return [starts(this.names, word).map((n) => (head === '' ? `${n}: ` : n)), word];
  }

  /** LINE, untagged, of ROOM (undefined: we are in no room): a message, a join, a leave. */
  #inRoom(line: ServerLine, room: string | undefined): void {
    if (room !== undefined) this.#room(room);
    const left = recogniseLeft(line);
    if (left) {
      const known = this.#names.get(nameKey(left.name));
      if (room !== undefined) known?.rooms.delete(nameKey(room));
      // Gone from the last room we know them in: as likely gone from the chat.
      if (known?.rooms.size === 0) this.#names.delete(nameKey(left.name));
      return;
    }
    const name = line.kind === 'room' ? line.from : recogniseJoined(line)?.name;
    if (name === undefined) return;
    if (room === undefined) this.#online(name);
    else this.#known(name)?.rooms.add(nameKey(room));
  }

  /** `* in ROOM (N): ...`: all who are in ROOM now; of a room not ours, they are online. */
  #listed(room: string, names: readonly string[]): void {
    this.#room(room);
    const ours = this.#mine().some((r) => nameKey(r) === nameKey(room));
    if (!ours) {
      for (const name of names) this.#online(name);
      return;
    }
    this.#weLeft(room);
    for (const name of names) this.#known(name)?.rooms.add(nameKey(room));
  }

  /** We are no longer in ROOM: who was seen only there may be anywhere. */
  #weLeft(room: string): void {
    this.#room(room);
    for (const [key, known] of this.#names) {
      known.rooms.delete(nameKey(room));
      if (known.rooms.size === 0 && !known.online) this.#names.delete(key);
    }
  }

  /** `* online (N): ...`: everyone in the chat now; whoever it leaves out has gone. */
  #everyone(names: readonly string[]): void {
    const listed = new Set(names.map(nameKey));
    for (const key of this.#names.keys()) if (!listed.has(key)) this.#names.delete(key);
    for (const name of names) this.#online(name);
  }

  #online(name: string): void {
    const known = this.#known(name);
    if (known) known.online = true;
  }

  /** NAME's entry, made when new; undefined for what is no name. */
  #known(name: string): Known | undefined {
    if (!isValidName(name)) return undefined;
    const key = nameKey(name);
    const known = this.#names.get(key) ?? { name, rooms: new Set<string>(), online: false };
    known.name = name;
    this.#names.set(key, known);
    return known;
  }

  #room(room: string): void {
    // Rooms are named with a name's characters.
    if (isValidName(room)) this.#rooms.set(nameKey(room), room);
  }
}
