import { parseServerLine, type ServerLine } from '../dialects/line/server-line.js';
import {
  recogniseJoined,
  recogniseJoinedElsewhere,
  recogniseLeft,
  recogniseNoRoom,
  recogniseTaggedMessage,
  recogniseYouAreIn,
  recogniseYouLeft,
  recogniseYourRooms,
} from '../dialects/line/recognise.js';
import { nameKey } from '../protocol/names.js';

/** The room every registration starts in, and is current (docs/protocol.md, "Rooms"). */
export const FIRST_ROOM = 'lobby';

/**
 * A line that belongs to one of our rooms: a room message, or someone joining or leaving.
 * LINE is its untagged form, as it reads in the current room (`<bob> hi`, `* bob joined`);
 * TAG is the room the server put in it (`<bob#dev> hi`, `* bob joined #dev`), if any.
 */
export interface RoomLine {
  line: ServerLine;
  tag: string | undefined;
  /** A message, not a presence line: only messages count as unread. */
  message: boolean;
}

/** LINE as a line of a room, without its tag; undefined for every other line. Pure. */
export function roomLine(line: ServerLine): RoomLine | undefined {
  if (line.kind === 'room') return { line, tag: undefined, message: true };
  const tagged = recogniseTaggedMessage(line);
  if (tagged) return { line: parseServerLine(`<${tagged.from}> ${tagged.text}`), tag: tagged.room, message: true };
  const joined = recogniseJoined(line);
  if (joined) return { line: joined.room ? parseServerLine(`* ${joined.name} joined`) : line, tag: joined.room, message: false };
  const left = recogniseLeft(line);
  if (!left) return undefined;
  if (!left.room) return { line, tag: undefined, message: false };
  const untagged = left.reason === undefined ? `* ${left.name} left` : `* ${left.name} left (${left.reason})`;
  return { line: parseServerLine(untagged), tag: left.room, message: false };
}

/** The rooms a new connection goes back to, and the one that was current. */
export interface Wanted {
  /** In the order they were made current, the longest ago first (the current one last). */
  rooms: readonly string[];
  current: string | undefined;
}

/**
 * What a new connection, which the server has put in FIRST_ROOM, sends to be in WANTED's
 * rooms again. Pure.
 *
 * A /join for each of the others, in the order they were made current, then for the
 * current one, last, so that it is current again. The server keeps that order too: after a
 * /part of the current room it makes current the one made current most recently
 * (docs/protocol.md, "Rooms"), so a /part after a reconnect goes where it would have gone
 * before. FIRST_ROOM, current when registering, is not joined again while it comes first
 * (it is in its place already); it is parted, last, when it is not one of WANTED's: a room
 * the user left stays left. Nothing at all when the connection is where it should be.
 */
export function rejoinPlan({ rooms, current }: Wanted): string[] {
  const first = nameKey(FIRST_ROOM);
  const isCurrent = (room: string): boolean => current !== undefined && nameKey(room) === nameKey(current);
  const lines = rooms.filter((r, i) => !isCurrent(r) && !(i === 0 && nameKey(r) === first)).map((r) => `/join ${r}`);
  if (current !== undefined && (lines.length > 0 || nameKey(current) !== first)) lines.push(`/join ${current}`);
  if (!rooms.some((r) => nameKey(r) === first)) lines.push(`/part ${FIRST_ROOM}`);
  return lines;
}

/** What one server line did to our rooms. */
export interface Seen {
  /** For a line of a room: which room, and the line without its tag. */
  room: { name: string; line: RoomLine } | undefined;
  /** A room we were not in, that the server says we are in now, and current. */
  joined: string | undefined;
  /** A room we are no longer in. */
  left: string | undefined;
}

/**
 * The rooms of the chat as the client knows them: the rooms we are in and the current one,
 * taken only from what the server answers (`* you are in ROOM`, `* you left ROOM`, `* your
 * rooms`), never from what the user typed; and the room messages of the other rooms not
 * seen yet. Keys are without regard to case, as the server's.
 *
 * Another device of our account joining a room (`* you joined ROOM from another device`)
 * makes it ours here too, but not current; its leaving one is `* you left ROOM`, as after
 * our own /part, which this class does not wait for anyway.
 *
 * Across a lost connection the user's view stays what it was: the rooms of the old
 * connection are WANTED until the new one is back in them (rejoinPlan, then `rejoined`).
 * Until then the prompt, the tags and the counts follow WANTED, while the server's own
 * current room says where an untagged line comes from.
 */
export class Rooms {
  /** Our rooms on this connection, by key, in the order made current (Wanted). */
  readonly #joined = new Map<string, string>([[nameKey(FIRST_ROOM), FIRST_ROOM]]);
  #current: string | undefined = FIRST_ROOM;
  /** Room messages of our other rooms since we were last in them, by key. */
  readonly #unread = new Map<string, number>();
  #wanted: Wanted | undefined;

  /** SELF is our name now: what we said on another device is nothing unread. */
  constructor(private readonly self: () => string | undefined = () => undefined) {}

  /** The current room, as the user sees it. */
  get current(): string | undefined {
    return this.#wanted ? this.#wanted.current : this.#current;
  }

  /** Our rooms, as the user sees them, in the order made current, the current one last. */
  get rooms(): string[] {
    return this.#wanted ? [...this.#wanted.rooms] : [...this.#joined.values()];
  }

  /** The current room as the server has it: where an untagged room line comes from. */
  get serverCurrent(): string | undefined {
    return this.#current;
  }

  /** Between a lost connection and the end of the rejoin of the new one. */
  get rejoining(): boolean {
    return this.#wanted !== undefined;
  }

  /** ROOM is one of our rooms, as the user sees them. */
  isOurs(room: string): boolean {
    return this.rooms.some((r) => nameKey(r) === nameKey(room));
  }

  /** ROOM is the one the user is in: its lines show no tag. */
  isCurrent(room: string): boolean {
    const current = this.current;
    return current !== undefined && nameKey(current) === nameKey(room);
  }

  /** Our other rooms with room messages not seen, the one we were in longest ago first. */
  unread(): { room: string; count: number }[] {
    return this.rooms.flatMap((room) => {
      const count = this.#unread.get(nameKey(room)) ?? 0;
      return count > 0 && !this.isCurrent(room) ? [{ room, count }] : [];
    });
  }

  take(line: ServerLine): Seen {
    const seen: Seen = { room: undefined, joined: undefined, left: undefined };
    const inRoom = roomLine(line);
    if (inRoom) {
      const name = inRoom.tag ?? this.#current;
      if (name === undefined) return seen;
      seen.room = { name, line: inRoom };
      const key = nameKey(name);
      const self = this.self();
      const own = inRoom.line.kind === 'room' && self !== undefined && nameKey(inRoom.line.from) === nameKey(self);
      if (inRoom.message && !own && this.isOurs(name) && !this.isCurrent(name)) this.#unread.set(key, (this.#unread.get(key) ?? 0) + 1);
      return seen;
    }
    const elsewhere = recogniseJoinedElsewhere(line);
    if (elsewhere && !this.#joined.has(nameKey(elsewhere))) {
      // First: never made current here, so made current longest ago.
      const rest = [...this.#joined];
      this.#joined.clear();
      for (const [key, room] of [[nameKey(elsewhere), elsewhere] as const, ...rest]) this.#joined.set(key, room);
    }
    const entered = recogniseYouAreIn(line);
    if (entered) {
      const fresh = !this.#joined.has(nameKey(entered));
      // Last: the one made current most recently.
      this.#joined.delete(nameKey(entered));
      this.#joined.set(nameKey(entered), entered);
      this.#current = entered;
      // A rejoin's rooms are not news: the user was in them.
      if (fresh && !this.#wanted) seen.joined = entered;
    }
    const left = recogniseYouLeft(line);
    if (left) {
      this.#joined.delete(nameKey(left));
      // The server names the next current room in a line of its own, if any is left.
      if (this.#current !== undefined && nameKey(this.#current) === nameKey(left)) this.#current = undefined;
      seen.left = left;
    }
    const mine = recogniseYourRooms(line);
    if (mine) {
      // The server's list wins. It has the current room first, then the others, the one
      // made current most recently first.
      this.#joined.clear();
      for (const room of [...mine.slice(1).reverse(), ...mine.slice(0, 1)]) this.#joined.set(nameKey(room), room);
      this.#current = mine[0];
    }
    if (recogniseNoRoom(line)) {
      this.#joined.clear();
      this.#current = undefined;
    }
    this.#tidy();
    return seen;
  }

  /** The connection is lost: until a new one is back in them, these are the rooms. */
  lost(): void {
    // Lost again in the middle of a rejoin: what the user wants is still the first view.
    this.#wanted ??= { rooms: [...this.#joined.values()], current: this.#current };
  }

  /**
   * A new connection is registered, in FIRST_ROOM: the lines that take it back to the rooms
   * of the old one (rejoinPlan). When there are none, the rejoin is done already; else it
   * is done at `rejoined`, once the server has answered them all.
   */
  reconnected(): string[] {
    this.#joined.clear();
    this.#joined.set(nameKey(FIRST_ROOM), FIRST_ROOM);
    this.#current = FIRST_ROOM;
    const plan = this.#wanted ? rejoinPlan(this.#wanted) : [];
    if (plan.length === 0) this.#wanted = undefined;
    return plan;
  }

  /**
   * The server has answered the rejoin: from now on the rooms are its. Returns the rooms
   * wanted that it did not take us back into (its answers said why).
   */
  rejoined(): string[] {
    const missing = (this.#wanted?.rooms ?? []).filter((r) => !this.#joined.has(nameKey(r)));
    this.#wanted = undefined;
    this.#tidy();
    return missing;
  }

  /** No count for the current room (being in it is seeing it), nor for rooms not ours. */
  #tidy(): void {
    const ours = new Set(this.rooms.map(nameKey));
    for (const key of this.#unread.keys()) if (!ours.has(key)) this.#unread.delete(key);
    const current = this.current;
    if (current !== undefined) this.#unread.delete(nameKey(current));
  }
}
