import { nameKey } from '../protocol/names.js';
import { SortedNames } from '../protocol/name-order.js';
import type { Member, RoomCount, RoomListing } from './hub.js';

/** A room with people in it: its name as created, its members, their names in /who order. */
interface Room {
  readonly name: string;
  readonly members: Set<Member>;
  readonly sorted: SortedNames;
}

/**
 * Who is in which room, for the members one hub serves (all of them in one process, a
 * server's own in a cluster). A room exists while somebody is in it and keeps the case it
 * was created in (docs/protocol.md "Rooms"). Listings are kept ready: /who ROOM and /rooms cost
 * a copy, never a sort.
 */
export class RoomTable {
  /** Rooms by name key, and each member's room. */
  readonly #rooms = new Map<string, Room>();
  readonly #roomOf = new Map<Member, Room>();
  /** Room names in /rooms order. */
  readonly #names = new SortedNames();

  /** How many rooms have people in them. */
  get count(): number {
    return this.#rooms.size;
  }

  /** Puts member, called NAME, into ROOM, creating it; returns the room's name as shown. */
  enter(member: Member, name: string, roomName: string): string {
    const key = nameKey(roomName);
    let room = this.#rooms.get(key);
    if (room === undefined) {
      room = { name: roomName, members: new Set(), sorted: new SortedNames() };
      this.#rooms.set(key, room);
      this.#names.add(roomName);
    }
    room.members.add(member);
    room.sorted.add(name);
    this.#roomOf.set(member, room);
    return room.name;
  }

  /** Takes member, called NAME, out of its room; an empty room is gone. Returns the room left. */
  leave(member: Member, name: string): string | undefined {
    const room = this.#roomOf.get(member);
    if (room === undefined) return undefined;
    this.#roomOf.delete(member);
    room.members.delete(member);
    room.sorted.remove(name);
    if (room.members.size === 0) {
      this.#rooms.delete(nameKey(room.name));
      this.#names.remove(room.name);
    }
    return room.name;
  }

  /** Member, called OLDNAME, is now NEWNAME (perhaps only in another case). */
  rename(member: Member, oldName: string, newName: string): void {
    const room = this.#roomOf.get(member);
    if (room === undefined) return;
    room.sorted.remove(oldName);
    room.sorted.add(newName);
  }

  /** Whether moving member to ROOM would make more than MAX rooms (leaving a room of one frees one). */
  wouldExceed(member: Member, room: string, max: number): boolean {
    if (this.#rooms.has(nameKey(room))) return false;
    const current = this.#roomOf.get(member);
    return this.#rooms.size - (current?.members.size === 1 ? 1 : 0) >= max;
  }

  roomOf(member: Member): string | undefined {
    return this.#roomOf.get(member)?.name;
  }

  size(room: string): number {
    return this.#rooms.get(nameKey(room))?.members.size ?? 0;
  }

  members(room: string): ReadonlySet<Member> | undefined {
    return this.#rooms.get(nameKey(room))?.members;
  }

  /** BYTES to every member of ROOM but EXCEPT; NOTICE: a presence notice (Member.notify). */
  deliver(room: string, bytes: Buffer | string, except: Member | undefined, notice = false): void {
    const members = this.#rooms.get(nameKey(room))?.members;
    if (!members) return;
    for (const member of members) {
      if (member === except) continue;
      if (notice && member.notify) member.notify(bytes);
      else member.deliver(bytes);
    }
  }

  /** The room's name as shown and its users' names, kept sorted: read them, never change them. */
  listing(room: string): RoomListing {
    const found = this.#rooms.get(nameKey(room));
    return found ? { room: found.name, names: found.sorted.names } : 'no such room';
  }

  counts(): RoomCount[] {
    return this.#names.names.map((name) => ({ name, count: this.size(name) }));
  }
}
