import { nameKey } from '../protocol/names.js';
import {
  LOBBY,
  type Claim,
  type Delivery,
  type DirectMessage,
  type Hub,
  type HubEvents,
  type Join,
  type JoinEntry,
  type Member,
  type Part,
  type Removal,
  type RoomCount,
  type RoomEvent,
  type RoomInfo,
  type RoomListing,
  type StateWrite,
} from './hub.js';
import { enteredBy, type RoomState } from '../protocol/room-state.js';
import { RoomTable } from './rooms.js';
import { addDevice, Devices, othersEnter, partDevices } from './devices.js';
import { SortedNames } from '../protocol/name-order.js';

/**
 * One process's users: a direct message is one map lookup, a room message one loop over the
 * room, whatever the number of users. Every answer is immediate, and the hub never loses
 * touch with anyone: its one event is a member evicted by a newer login of its account.
 */
export class MemoryHub implements Hub {
  readonly #members = new Map<string, Member>();
  /**
   * Registered names in /who order, kept up to date on every change: /who then costs a
   * join, not a sort (sorting 8,000 names per /who let a /who flood stall everyone).
   */
  readonly #sorted = new SortedNames();
  readonly #rooms = new RoomTable();
  readonly #devices = new Devices();
  #events: HubEvents | undefined;

  get size(): number {
    return this.#members.size;
  }

  claim(name: string, member: Member, takeOver = false, lobby = true, maxDevices = 1): Claim {
    const key = nameKey(name);
    let holder = this.#members.get(key);
    if (holder !== undefined && holder !== member) {
      if (!takeOver) return 'taken';
      if (maxDevices > 1) return addDevice(this.#devices, this.#rooms, key, holder, member, maxDevices);
      this.#evict(holder, key, member);
      holder = undefined;
    }
    if (holder === undefined) {
      this.#sorted.add(name);
      this.#members.set(key, member);
      if (lobby) this.#rooms.enter(member, name, LOBBY);
    } else {
      this.#sorted.replace(name);
      this.#rooms.rename(member, name);
    }
    return 'claimed';
  }

  rename(member: Member, oldName: string, newName: string, takeOver = false): Claim {
    const oldKey = nameKey(oldName);
    const newKey = nameKey(newName);
    if (this.#members.get(oldKey) !== member) return 'taken';
    if (oldKey !== newKey) {
      const holder = this.#members.get(newKey);
      if (holder !== undefined) {
        if (!takeOver) return 'taken';
        this.#evict(holder, newKey, member);
      }
      this.#members.delete(oldKey);
      this.#members.set(newKey, member);
      this.#sorted.remove(oldName);
      this.#sorted.add(newName);
    } else {
      this.#sorted.replace(newName); // the same name in another case: shown as now written
    }
    this.#rooms.rename(member, newName);
    return 'claimed';
  }

  release(name: string, member: Member): void {
    const key = nameKey(name);
    const holder = this.#members.get(key);
    const next = this.#devices.remove(key, member, holder);
    if (holder !== member) {
      // One of the other devices: the name and its rooms stay the first's.
      if (next !== undefined) this.#rooms.leaveAll(member);
      return;
    }
    this.#rooms.leaveAll(member);
    if (next !== undefined) return void this.#members.set(key, next);
    this.#members.delete(key);
    this.#sorted.remove(name);
  }

  lookup(name: string): Member | undefined {
    // A name typed in lower case is its own key: no new string to make and hash.
    return this.#members.get(name) ?? this.#members.get(nameKey(name));
  }

  devices(name: string): readonly Member[] {
    const key = nameKey(name);
    return this.#devices.of(key, this.#members.get(key));
  }

  direct(to: string, message: DirectMessage): Delivery {
    const member = this.lookup(to);
    if (member === undefined) return 'no such user';
    if (member.name === undefined || this.#devices.others(nameKey(member.name)) === 0) this.#events?.direct(member, message);
    else for (const device of this.devices(member.name)) this.#events?.direct(device, message);
    return 'delivered';
  }

  remove(name: string, removal: Removal): Delivery {
    const member = this.lookup(name);
    if (member === undefined) return 'no such user';
    // Every device is disconnected; a room removal takes the others along from the first.
    const all = 'room' in removal ? [member] : this.devices(name);
    for (const device of all) this.#events?.removed(device, removal);
    return 'delivered';
  }

  toRooms(rooms: readonly string[], event: RoomEvent, except: Member | undefined, notice = false): 'delivered' {
    if (this.#events) this.#rooms.deliver(rooms, event, except, this.#events, notice);
    return 'delivered';
  }

  join(member: Member, room: string, maxRooms: number, entry?: JoinEntry): Join {
    const name = member.name;
    // Holds no name (never asked), or holds it as none of its devices.
    if (name === undefined || !this.devices(name).includes(member)) return 'unavailable';
    if (this.#rooms.wouldExceed(room, maxRooms)) return 'full';
    const now = this.#rooms.stateOf(room);
    let state: RoomState | undefined = entry?.fresh;
    if (now !== 'no such room') state = entry === undefined || this.#rooms.isIn(member, room) ? undefined : enteredBy(now.state, nameKey(name), entry.account);
    const entered = this.#rooms.enter(member, name, room, undefined, state);
    const others = othersEnter(this.#rooms, this.devices(name), member, name, entered.room);
    return others === undefined ? entered : { ...entered, others };
  }

  roomState(room: string): RoomInfo {
    return this.#rooms.stateOf(room);
  }

  setRoomState(room: string, from: number, state: RoomState): StateWrite {
    return this.#rooms.setState(room, from, state);
  }

  part(member: Member, room: string): Part {
    return partDevices(this.#rooms, member.name === undefined ? [member] : this.devices(member.name), member, room);
  }

  roomsOf(member: Member): readonly string[] {
    return this.#rooms.roomsOf(member);
  }

  roomSize(room: string): number {
    return this.#rooms.size(room);
  }

  roomNames(room: string): RoomListing {
    return this.#rooms.listing(room);
  }

  rooms(): RoomCount[] {
    return this.#rooms.counts();
  }

  /** The kept list itself: read it, never change it. */
  names(): readonly string[] {
    return this.#sorted.names;
  }

  elsewhere(): void {}

  attach(events: HubEvents): void {
    this.#events = events;
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  /**
   * A newer login of HOLDER's account takes KEY: HOLDER is disconnected, and its rooms told
   * it left, before NEWCOMER's "joined" (and never NEWCOMER itself, renaming in those rooms).
   */
  #evict(holder: Member, key: string, newcomer: Member): void {
    const shown = holder.name ?? key;
    this.#members.delete(key);
    this.#sorted.remove(shown);
    const rooms = this.#rooms.leaveAll(holder);
    for (const other of this.#devices.clear(key)) {
      this.#rooms.leaveAll(other);
      this.#events?.evicted(other, 'logged in elsewhere');
    }
    this.#events?.evicted(holder, 'logged in elsewhere');
    const told = this.#events?.presence(rooms, [shown], 'left', 'elsewhere');
    if (told) this.toRooms(told.rooms, told.event, newcomer, true);
  }
}
