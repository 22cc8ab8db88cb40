import type { DeviceLeft, Member, Part } from './hub.js';
import type { RoomTable } from './rooms.js';

/**
 * The devices of one account on one server beyond its first (docs/protocol.md, "Your
 * account"): the hub's map of names keeps the first, the one that holds the name; the others
 * are here, made only for names that have some. A name's devices share its rooms, each with
 * its own current room, and its direct messages.
 */
export class Devices {
  readonly #more = new Map<string, Member[]>();

  /** KEY's devices here, FIRST (the holder, if any) first. */
  of(key: string, first: Member | undefined): readonly Member[] {
    if (first === undefined) return [];
    const more = this.#more.get(key);
    return more === undefined ? [first] : [first, ...more];
  }

  /** Whether any name here has more than one device: most servers, most of the time, none. */
  get any(): boolean {
    return this.#more.size > 0;
  }

  /** How many devices KEY has here besides its first. */
  others(key: string): number {
    return this.#more.get(key)?.length ?? 0;
  }

  add(key: string, member: Member): void {
    const more = this.#more.get(key);
    if (more === undefined) this.#more.set(key, [member]);
    else more.push(member);
  }

  /**
   * Takes MEMBER out of KEY's devices. MEMBER the first: the next device, which now holds
   * the name (undefined: none is left). Another: MEMBER itself, gone from the list (undefined
   * when it was not in it).
   */
  remove(key: string, member: Member, first: Member | undefined): Member | undefined {
    const more = this.#more.get(key);
    if (member === first) {
      const next = more?.shift();
      if (more !== undefined && more.length === 0) this.#more.delete(key);
      return next;
    }
    const at = more?.indexOf(member) ?? -1;
    if (more === undefined || at < 0) return undefined;
    more.splice(at, 1);
    if (more.length === 0) this.#more.delete(key);
    return member;
  }

  /** Forgets every device of KEY but the first (they were disconnected together). */
  clear(key: string): readonly Member[] {
    const more = this.#more.get(key) ?? [];
    this.#more.delete(key);
    return more;
  }
}

/**
 * MEMBER becomes one more device of KEY, which HOLDER holds on this server: in HOLDER's rooms,
 * its current room current (RoomTable order kept). `too many devices` past MAX.
 */
export function addDevice(devices: Devices, rooms: RoomTable, key: string, holder: Member, member: Member, max: number): 'device' | 'too many devices' {
  if (devices.others(key) + 1 >= max) return 'too many devices';
  devices.add(key, member);
  const name = holder.name ?? key;
  const held = rooms.roomsOf(holder);
  for (let i = held.length - 1; i >= 0; i--) rooms.enter(member, name, held[i]!);
  return 'device';
}

/** The devices of DEVICES other than MEMBER enter ROOM behind their current rooms; undefined when there are none. */
export function othersEnter(rooms: RoomTable, devices: readonly Member[], member: Member, name: string, room: string, since?: string): Member[] | undefined {
  if (devices.length < 2) return undefined;
  const others: Member[] = [];
  for (const device of devices) {
    if (device === member || rooms.isIn(device, room)) continue;
    rooms.enter(device, name, room, since, undefined, true);
    others.push(device);
  }
  return others;
}

/** MEMBER and the other DEVICES of its name leave ROOM (Hub.part). */
export function partDevices(rooms: RoomTable, devices: readonly Member[], member: Member, room: string): Part {
  const left = rooms.leave(member, room);
  if (left === undefined) return 'not in room';
  const part = { ...left, current: left.wasCurrent ? rooms.roomsOf(member)[0] : undefined };
  if (devices.length < 2) return part;
  const others: DeviceLeft[] = [];
  for (const device of devices) {
    if (device === member) continue;
    const gone = rooms.leave(device, room);
    if (gone !== undefined) others.push({ member: device, wasCurrent: gone.wasCurrent, current: gone.wasCurrent ? rooms.roomsOf(device)[0] : undefined });
  }
  return { ...part, others };
}
