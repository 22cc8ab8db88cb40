import { isValidName, nameKey } from '../../protocol/names.js';
import type { Delivery, DirectMessage, Member, Removal, RoomEvent } from '../hub.js';
import { byteLength, directBody, removalBody, userHeader } from './cluster-message.js';
import type { Outbox } from './outbox.js';
import type { HubState } from './state.js';

/** Where a message goes: to a member of this server at once, else into the stream (outbox.ts). */
export class Routing {
  readonly #s: HubState;
  readonly #outbox: Outbox;

  constructor(s: HubState, outbox: Outbox) {
    this.#s = s;
    this.#outbox = outbox;
  }

  /** Like a direct message: through the stream to the server holding NAME, which disconnects its user. */
  remove(name: string, removal: Removal): Delivery | Promise<Delivery> {
    const key = nameKey(name);
    const all = this.#s.all(key);
    if (all.length > 0) {
      // Known before they are removed: the last one's close forgets it. Devices of it on other
      // servers may be there before we read their % frame: sent to Redis, which knows.
      const shared = this.#s.shared.has(key) || this.#s.sharable.has(key);
      // A room removal from the first device, whose part takes the others along here and, by
      // its `-` frame, on the other servers: the room is told once.
      if ('room' in removal) {
        this.#s.events?.removed(all[0]!, removal);
        return 'delivered';
      }
      for (const member of all) this.#s.events?.removed(member, removal);
      if (shared && this.#s.up) {
        const body = removalBody(removal);
        const size = byteLength(body);
        void this.#outbox.queue(userHeader('~', key, size), body, size, key);
      }
      return 'delivered';
    }
    // No such name can be held; and a key of ours never holds the space that parts an entry's header line.
    if (!isValidName(name)) return 'no such user';
    if (!this.#s.up) return 'unavailable';
    const body = removalBody(removal);
    const size = byteLength(body);
    return this.#outbox.queue(userHeader('~', key, size), body, size, key);
  }

  direct(to: string, message: DirectMessage, from?: Member): Delivery | Promise<Delivery> {
    const key = nameKey(to);
    const first = this.#s.local.get(key);
    // A user of this server is reached without Redis, even while it is down; one device, as
    // most are, without a list made for it.
    if (first !== undefined && !this.#s.devices.any && !this.#s.shared.has(key)) {
      if (message.sentTo === undefined) this.#s.events?.direct(first, message);
      return 'delivered';
    }
    const all = this.#s.all(key);
    if (all.length > 0) {
      // What an account sent (sentTo) goes to its other devices, never back to the sender.
      for (const member of all) if (message.sentTo === undefined || member !== from) this.#s.events?.direct(member, message);
      // Devices of it on other servers too: the stream takes it to them (we skip our own).
      if (this.#s.shared.has(key) && this.#s.up) {
        const bytes = directBody(message);
        const size = byteLength(bytes);
        void this.#outbox.queue(userHeader('@', key, size), bytes, size, key);
      }
      return 'delivered';
    }
    // What an account sent, for devices of it that are all elsewhere, is not looked for.
    if (message.sentTo !== undefined) return 'delivered';
    if (!isValidName(to)) return 'no such user';
    if (!this.#s.up) return 'unavailable';
    const bytes = directBody(message);
    const size = byteLength(bytes);
    const header = userHeader('@', key, size);
    // A user whose server we know: answered now, as on one server (holders.ts).
    if (this.#s.holders.get(key) !== undefined) {
      this.#outbox.known(key, header, bytes, size, from, to);
      return 'delivered';
    }
    // Into the stream even while the recipient's server is cut off: it reads it once back.
    return this.#outbox.queue(header, bytes, size, key);
  }

  /** EVENT to ROOMS: our members at once, once each, and the other servers' through the stream. */
  toRooms(rooms: readonly string[], event: RoomEvent, except: Member | undefined, notice = false): 'unavailable' | Promise<'delivered' | 'unavailable'> {
    this.here(rooms, event, except, notice);
    return this.#outbox.publish(rooms, event);
  }

  /** EVENT to our members of ROOMS only. */
  here(rooms: readonly string[], event: RoomEvent, except: Member | undefined, notice = false): void {
    const events = this.#s.events;
    if (events !== undefined) this.#s.rooms.deliver(rooms, event, except, events, notice);
  }

  /** EVENT to the other servers' members of ROOMS only (the hub's `told`, or nothing). */
  elsewhere(told: { rooms: string[]; event: RoomEvent } | undefined, skip = ''): void {
    if (told !== undefined) void this.#outbox.publish(told.rooms, told.event, skip);
  }
}
