import { isValidName, nameKey } from '../protocol/names.js';
import type { ServerLine } from '../dialects/line/server-line.js';
import {
  recogniseCaughtUpRoom,
  recogniseCaughtUpSent,
  recogniseHistoryEntry,
  recogniseInRoom,
  recogniseJoined,
  recogniseJoinedElsewhere,
  recogniseKeptMessage,
  recogniseLeft,
  recogniseOnline,
  recogniseRenamed,
  recogniseRoomList,
  recogniseSentDirect,
  recogniseTaggedMessage,
  recogniseYouAreIn,
  recogniseYouLeft,
  recogniseYourRooms,
} from '../dialects/line/recognise.js';

/** The commands Tab completes after `/`: the server's (docs/protocol.md) and the client's own. */
export const COMMANDS = [
  '/ban',
  '/bans',
  '/deop',
  '/help',
  '/history',
  '/invite',
  '/join',
  '/key',
  '/kick',
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
  '/unban',
  '/who',
] as const;

/**
 * What Tab can complete: the names seen in any server line and in /who answers, the rooms
 * seen in any server line (our own, those of tagged lines, of `/who ROOM`, `/rooms` and
 * `/mine` answers, those another device of ours joined), and the commands. Keys are
 * without regard to case, as the server's; the case shown is the last one seen. MINE gives
 * the rooms we are in now: /part completes only those.
 */
export class Completions {
  readonly #names = new Map<string, string>();
  readonly #rooms = new Map<string, string>();

  constructor(private readonly mine: () => readonly string[] = () => []) {}

  /** Learns from one server line. */
  learn(line: ServerLine): void {
    if (line.kind === 'room' || line.kind === 'direct') return this.#name(line.from);
    const tagged = recogniseTaggedMessage(line) ?? recogniseCaughtUpRoom(line);
    if (tagged) {
      this.#name(tagged.from);
      return this.#room(tagged.room);
    }
    // Who we wrote to from another device: as likely to be written to from this one.
    const sent = recogniseSentDirect(line) ?? recogniseCaughtUpSent(line);
    if (sent) return this.#name(sent.to);
    const elsewhere = recogniseJoinedElsewhere(line);
    if (elsewhere) return this.#room(elsewhere);
    for (const room of recogniseYourRooms(line) ?? []) this.#room(room);
    const left = recogniseYouLeft(line);
    if (left) this.#room(left);
    const inRoom = recogniseInRoom(line);
    if (inRoom) this.#room(inRoom.room);
    for (const name of recogniseOnline(line) ?? inRoom?.names ?? []) this.#name(name);
    for (const room of recogniseRoomList(line) ?? []) this.#room(room.name);
    const moved = recogniseYouAreIn(line);
    if (moved) this.#room(moved);
    const renamed = recogniseRenamed(line);
    if (renamed) {
      this.#names.delete(nameKey(renamed.from));
      this.#name(renamed.to);
    }
    const presence = recogniseJoined(line) ?? recogniseLeft(line);
    if (presence) this.#name(presence.name);
    if (presence?.room) this.#room(presence.room);
    const past = recogniseHistoryEntry(line) ?? recogniseKeptMessage(line);
    if (past) this.#name(past.from);
  }

  get names(): string[] {
    return [...this.#names.values()].sort((a, b) => a.localeCompare(b, 'en', { sensitivity: 'base' }));
  }

  get rooms(): string[] {
    return [...this.#rooms.values()].sort((a, b) => a.localeCompare(b, 'en', { sensitivity: 'base' }));
  }

  /**
   * readline's completer: for the line up to the cursor, the candidates and the part of the
   * line they replace. Commands after a leading `/`; rooms after `/join ` and, our own, after
   * `/part ` (then a reason may follow: a space after it); names after `/msg `, after `@`
   * (`@bob:` at the start of a line, `@bob` in a text) and as the first word (`bob: `, as in
   * IRC clients).
   */
  complete(before: string): [string[], string] {
    const word = /\S*$/.exec(before)?.[0] ?? '';
    const head = before.slice(0, before.length - word.length);
    const starts = (list: readonly string[], typed: string): string[] => list.filter((c) => c.toLowerCase().startsWith(typed.toLowerCase()));
    if (head === '' && word.startsWith('/')) return [starts(COMMANDS, word).map((c) => `${c} `), word];
    if (/^\/join\s+$/i.test(head)) {
      const hash = word.startsWith('#') ? '#' : '';
      return [starts(this.rooms, word.slice(hash.length)).map((r) => hash + r), word];
    }
    if (/^\/part\s+$/i.test(head)) {
      const hash = word.startsWith('#') ? '#' : '';
      const mine = [...this.mine()].sort((a, b) => a.localeCompare(b, 'en', { sensitivity: 'base' }));
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
    if (head === '' && word !== '') return [starts(this.names, word).map((n) => `${n}: `), word];
    return [[], word];
  }

  #name(name: string): void {
    if (isValidName(name)) this.#names.set(nameKey(name), name);
  }

  #room(room: string): void {
    // Rooms are named with a name's characters.
    if (isValidName(room)) this.#rooms.set(nameKey(room), room);
  }
}
