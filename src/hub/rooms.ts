import { nameKey } from '../protocol/names.js';
import { SortedNames } from '../protocol/name-order.js';
import { isHidden, NO_STATE, type RoomState } from '../protocol/room-state.js';
import type { Member, RoomCount, RoomEvent, RoomInfo, RoomListing, StateWrite } from './hub.js';

/** A room with people in it: its name as created, its members' seats, their names in /who order. */
interface Room {
  readonly name: string;
  readonly seats: Set<Seat>;
  /**
   * Names with more than one seat, and how many: one account's devices each have a seat
   * (each its own current room), and the room counts and lists the name once. Made only for
   * a room that has such a name: most never do.
   */
  extra: Map<string, number> | undefined;
  /** Its people's names, each once: its size. */
  readonly sorted: SortedNames;
  /** The last delivery to several rooms that this room was one of (RoomTable.deliver). */
  stamp: number;
  /** Its operators, topic, privacy... (in a cluster, this server's copy: Hub.roomState). */
  state: RoomState;
}

/**
 * A member's place in the rooms: one object shared by all its rooms, so that delivering to a
 * room tells a member's current room without a lookup per member.
 */
interface Seat {
  readonly member: Member;
  name: string;
  /** Its rooms, the current one last, the others in the order they were last made current. */
  readonly rooms: Room[];
  /** The last delivery to several rooms that reached this member (RoomTable.deliver). */
  stamp: number;
  /**
   * For a room joined through the cluster: the last entry of the cluster's stream when it was
   * joined. What the stream carried up to it was said before the member came, and is not
   * delivered to it when the reader, behind, reads it after the join (RoomTable.deliver).
   */
  since: Map<Room, string> | undefined;
}

/** How members get events (HubEvents): EVENT in ROOM for a member of FORM, TAGGED when ROOM is not its current room. */
export interface Renderer {
  render(event: RoomEvent, room: string, tagged: boolean, form: number): Buffer | string;
  /** Whether FORM's untagged rendering names the room: then it is made per room. */
  namesRoom?(form: number): boolean;
}

/**
 * Who is in which rooms, for the members one hub serves (all of them in one process, a
 * server's own in a cluster). A member is in any number of rooms, one of them current (the
 * one it last made current: docs/protocol.md "Rooms"). A room exists while somebody is in it
 * and keeps the case it was created in. Listings are kept ready: /who ROOM and /rooms cost a
 * copy, never a sort.
 */
export class RoomTable {
  readonly #rooms = new Map<string, Room>();
  readonly #seats = new Map<Member, Seat>();
  /** Room names in /rooms order. */
  readonly #names = new SortedNames();
  /** Deliveries to several rooms so far: each marks its rooms and the members it reached. */
  #stamp = 0;

  /**
   * Puts member, called NAME, into ROOM (creating it, with STATE) and makes it current.
   * Returns the room's name as shown, whether member was in it already, whether this made
   * the room, and its state. SINCE: the stream's last entry when the cluster put it there
   * (Seat.since). STATE, for a room that exists: its state now, if newer than the one held.
   * BEHIND: the room does not become current (another device of the account joined it),
   * unless member was in no room; it comes right behind the current one, as the room most
   * recently joined.
   */
  enter(
    member: Member,
    name: string,
    roomName: string,
    since?: string,
    state?: RoomState,
    behind = false,
  ): { room: string; already: boolean; created: boolean; state: RoomState } {
    const key = nameKey(roomName);
    let room = this.#rooms.get(key);
    let created = false;
    if (room === undefined) {
      room = { name: roomName, seats: new Set(), extra: undefined, sorted: new SortedNames(), stamp: 0, state: state ?? NO_STATE };
      this.#rooms.set(key, room);
      this.#names.add(roomName);
      created = true;
    } else if (state !== undefined && newer(state, room.state)) {
      room.state = state;
    }
    let seat = this.#seats.get(member);
    if (seat === undefined) {
      seat = { member, name, rooms: [], stamp: 0, since: undefined };
      this.#seats.set(member, seat);
    }
    const at = seat.rooms.indexOf(room);
    if (at >= 0) {
      if (!behind) {
        seat.rooms.splice(at, 1);
        seat.rooms.push(room);
      }
      return { room: room.name, already: true, created, state: room.state };
    }
    if (behind && seat.rooms.length > 0) seat.rooms.splice(seat.rooms.length - 1, 0, room);
    else seat.rooms.push(room);
    room.seats.add(seat);
    this.#seated(room, seat.name);
    if (since !== undefined) (seat.since ??= new Map()).set(room, since);
    return { room: room.name, already: false, created, state: room.state };
  }

  /** ROOM's name as shown, state and size. */
  stateOf(roomName: string): RoomInfo {
    const room = this.#rooms.get(nameKey(roomName));
    return room === undefined ? 'no such room' : { room: room.name, state: room.state, size: room.sorted.names.length };
  }

  /** Sets STATE as ROOM's if its state is at version FROM (the process's own rooms: MemoryHub). */
  setState(roomName: string, from: number, state: RoomState): StateWrite {
    const room = this.#rooms.get(nameKey(roomName));
    if (room === undefined) return 'no such room';
    if (room.state.v !== from) return 'changed';
    room.state = state;
    return 'set';
  }

  /** Keeps STATE as this server's copy of ROOM's, if it is newer (a cluster's: Hub.roomState). */
  keep(roomName: string, state: RoomState): void {
    const room = this.#rooms.get(nameKey(roomName));
    if (room !== undefined && newer(state, room.state)) room.state = state;
  }

  /**
   * Takes member out of ROOM; an empty room is gone. Returns the room left as shown and
   * whether it was member's current room, or undefined when member was not in it.
   */
  leave(member: Member, roomName: string): { room: string; wasCurrent: boolean } | undefined {
    const seat = this.#seats.get(member);
    const room = this.#rooms.get(nameKey(roomName));
    if (seat === undefined || room === undefined) return undefined;
    const at = seat.rooms.indexOf(room);
    if (at < 0) return undefined;
    const wasCurrent = at === seat.rooms.length - 1;
    seat.rooms.splice(at, 1);
    this.#out(seat, room);
    if (seat.rooms.length === 0) this.#seats.delete(member);
    return { room: room.name, wasCurrent };
  }

  /** Takes member out of all its rooms; returns them as shown, current first (roomsOf). */
  leaveAll(member: Member): string[] {
    const seat = this.#seats.get(member);
    if (seat === undefined) return [];
    const left = this.roomsOf(member);
    this.#seats.delete(member);
    for (const room of seat.rooms) this.#out(seat, room);
    seat.rooms.length = 0;
    return left;
  }

  /** One more seat of NAME in ROOM: listed once, however many of its devices sit there. */
  #seated(room: Room, name: string): void {
    if (room.sorted.addNew(name)) return;
    room.extra ??= new Map();
    room.extra.set(name, (room.extra.get(name) ?? 1) + 1);
  }

  /** One seat fewer of NAME in ROOM; the name leaves the listing with its last. */
  #unseated(room: Room, name: string): void {
    const n = room.extra?.get(name);
    if (n === undefined) return room.sorted.remove(name);
    if (n > 2) room.extra!.set(name, n - 1);
    else if (room.extra!.delete(name) && room.extra!.size === 0) room.extra = undefined;
  }

  #out(seat: Seat, room: Room): void {
    seat.since?.delete(room);
    room.seats.delete(seat);
    this.#unseated(room, seat.name);
    if (room.seats.size === 0) {
      this.#rooms.delete(nameKey(room.name));
      this.#names.remove(room.name);
    }
  }

  /** Member is now called NEWNAME (perhaps only in another case), in each of its rooms. */
  rename(member: Member, newName: string): void {
    const seat = this.#seats.get(member);
    if (seat === undefined) return;
    for (const room of seat.rooms) {
      this.#unseated(room, seat.name);
      this.#seated(room, newName);
    }
    seat.name = newName;
  }

  /** Whether a new ROOM would make more than MAX rooms (joining one that exists never does). */
  wouldExceed(room: string, max: number): boolean {
    return !this.#rooms.has(nameKey(room)) && this.#rooms.size >= max;
  }

  /** Member's rooms as shown, its current room first, then by when each was last current. */
  roomsOf(member: Member): string[] {
    const rooms = this.#seats.get(member)?.rooms;
    if (rooms === undefined) return [];
    const out: string[] = [];
    for (let i = rooms.length - 1; i >= 0; i--) out.push(rooms[i]!.name);
    return out;
  }

  /** Whether member is in ROOM. */
  isIn(member: Member, room: string): boolean {
    const found = this.#rooms.get(nameKey(room));
    return found !== undefined && (this.#seats.get(member)?.rooms.includes(found) ?? false);
  }

  /** People in ROOM: names, not devices. */
  size(room: string): number {
    return this.#rooms.get(nameKey(room))?.sorted.names.length ?? 0;
  }

  /**
   * EVENT to every member of ROOMS but EXCEPT, once each however many of ROOMS it is in.
   * Each gets it untagged when its current room is one of ROOMS, else tagged with the first
   * of ROOMS it is in. Each form is rendered once. NOTICE: a presence notice (Member.notify).
   * AFTER, for an event read from the cluster's stream: whether it was added after the entry
   * SINCE (Seat.since), else it is older than the member's place in the room.
   */
  deliver(
    rooms: readonly string[],
    event: RoomEvent,
    except: Member | undefined,
    renderer: Renderer,
    notice = false,
    after?: (since: string) => boolean,
  ): void {
    const targets: Room[] = [];
    for (const name of rooms) {
      const room = this.#rooms.get(nameKey(name));
      if (room !== undefined && !targets.includes(room)) targets.push(room);
    }
    if (targets.length === 0) return;
    // The copy of a room's state follows its changes, from whichever server they come.
    if (event.kind === 'changed') for (const room of targets) if (newer(event.state, room.state)) room.state = event.state;
    // Several rooms (a quit): each room and each member reached is marked with this
    // delivery's stamp, so that a member is told once, and whether its current room is one
    // of them is one comparison, with nothing allocated per member (a quit from 50 rooms of
    // 1,000 people each is 50,000 members to look at). No delivery starts inside another:
    // a member's deliver never calls back into the table (a send queue past its limit is
    // cut off on the next tick, outbox.ts), so the marks are this delivery's alone.
    const several = targets.length > 1;
    const stamp = several ? ++this.#stamp : 0;
    if (several) for (const room of targets) room.stamp = stamp;
    // Forms: the first is the line protocol's, most members' (others: IRC's, per capability).
    let here: Buffer | string | undefined;
    let hereOthers: (Buffer | string)[] | undefined;
    // Made only when some member is elsewhere: most deliveries reach their room's current users.
    let there: Map<Room, Buffer | string> | undefined;
    let thereOthers: Map<Room, (Buffer | string)[]> | undefined;
    // A presence event is no news to the devices of those it is about (docs/protocol.md,
    // "Several devices"): they are told in their own words (`* you joined ROOM from another
    // device`), on this server or on another. A room message is: it is what the account said.
    const about = aboutOf(event);
    for (const room of targets) {
      for (const seat of room.seats) {
        if (seat.member === except || about?.includes(seat.name) === true) continue;
        if (after !== undefined && seat.since !== undefined) {
          const since = seat.since.get(room);
          if (since !== undefined) {
            if (!after(since)) continue;
            // The reader is past it: nothing older can come any more.
            seat.since.delete(room);
          }
        }
        if (several) {
          // Once per person, but a join is news in each room for a receiver whose lines name
          // their room (IRC): one JOIN would leave it thinking the others were not joined.
          if (seat.stamp === stamp && !(event.kind === 'joined' && renderer.namesRoom?.(seat.member.form ?? 0) === true)) continue;
          seat.stamp = stamp;
        }
        const current = seat.rooms[seat.rooms.length - 1];
        const tagged = !(current === room || (several && current !== undefined && current.stamp === stamp));
        const form = seat.member.form ?? 0;
        let bytes: Buffer | string | undefined;
        if (form === 0) {
          if (!tagged) {
            bytes = here ??= renderer.render(event, room.name, false, 0);
          } else {
            there ??= new Map();
            bytes = there.get(room);
            if (bytes === undefined) there.set(room, (bytes = renderer.render(event, room.name, true, 0)));
          }
        } else if (!tagged && renderer.namesRoom?.(form) !== true) {
          hereOthers ??= [];
          bytes = hereOthers[form] ??= renderer.render(event, room.name, false, form);
        } else {
          // Tagged, or a form that always names the room (IRC): one per room. Such a form
          // renders alike tagged or not, so the key is the room alone.
          thereOthers ??= new Map();
          let forms = thereOthers.get(room);
          if (forms === undefined) thereOthers.set(room, (forms = []));
          bytes = forms[form] ??= renderer.render(event, room.name, tagged, form);
        }
        // Nothing in this receiver's words (an away change for one that did not ask).
        if (bytes.length === 0) continue;
        if (notice && seat.member.notify) seat.member.notify(bytes);
        else seat.member.deliver(bytes);
      }
    }
  }

  /** The room's name as shown and its users' names, kept sorted: read them, never change them. */
  listing(room: string): RoomListing {
    const found = this.#rooms.get(nameKey(room));
    return found ? { room: found.name, names: found.sorted.names, state: found.state } : 'no such room';
  }

  counts(): RoomCount[] {
    return this.#names.names.map((name) => {
      const room = this.#rooms.get(nameKey(name));
      const count = room?.sorted.names.length ?? 0;
      return room !== undefined && isHidden(room.state) ? { name, count, hidden: true } : { name, count };
    });
  }
}

/**
 * Whether STATE is a later state of the room that HELD is: a higher version of the same
 * making of the room. A room nobody owns starts again at version 1 when it is made again, so
 * a change of the room that was before it (read late from the cluster's stream) must not
 * pass for a newer one.
 */
function newer(state: RoomState, held: RoomState): boolean {
  return state.v > held.v && (held.created === undefined || state.created === held.created);
}

/** The names a presence event is about (RoomTable.deliver: no news to their devices); undefined for any other event. */
function aboutOf(event: RoomEvent): readonly string[] | undefined {
  switch (event.kind) {
    case 'joined':
    case 'left':
      return event.names;
    case 'renamed':
      return [event.from, event.to];
    case 'away':
      return [event.name];
    default:
      return undefined;
  }
}
