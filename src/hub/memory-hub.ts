import { nameKey } from '../protocol/names.js';
import { LEFT_ELSEWHERE } from '../protocol/wording.js';
import type { Claim, Delivery, Hub, HubEvents, Member } from './hub.js';

/**
 * One process's users: a direct message is one map lookup, whatever the number of users.
 * Every answer is immediate, and the hub never loses touch with anyone: its one event is a
 * member evicted by a newer login of its account.
 */
export class MemoryHub implements Hub {
  readonly #members = new Map<string, Member>();
  #events: HubEvents | undefined;

  get size(): number {
    return this.#members.size;
  }

  claim(name: string, member: Member, takeOver = false): Claim {
    const key = nameKey(name);
    const holder = this.#members.get(key);
    if (holder !== undefined && holder !== member) {
      if (!takeOver) return 'taken';
      const shown = holder.name ?? name;
      this.#members.delete(key);
      this.#events?.evicted(holder, 'logged in elsewhere');
      // Told to all but the newcomer, before its "joined".
      const left = this.#events?.presence([shown], 'left', LEFT_ELSEWHERE);
      if (left) this.broadcast(left, member);
    }
    this.#members.set(key, member);
    return 'claimed';
  }

  rename(member: Member, oldName: string, newName: string, takeOver = false): Claim {
    const oldKey = nameKey(oldName);
    if (oldKey === nameKey(newName)) return this.#members.get(oldKey) === member ? 'claimed' : 'taken';
    const claim = this.claim(newName, member, takeOver);
    if (claim === 'claimed') this.release(oldName, member);
    return claim;
  }

  release(name: string, member: Member): void {
    const key = nameKey(name);
    if (this.#members.get(key) === member) this.#members.delete(key);
  }

  lookup(name: string): Member | undefined {
    return this.#members.get(nameKey(name));
  }

  direct(to: string, bytes: Buffer): Delivery {
    const member = this.lookup(to);
    if (member === undefined) return 'no such user';
    member.deliver(bytes);
    return 'delivered';
  }

  broadcast(bytes: Buffer, except: Member | undefined): 'delivered' {
    for (const member of this.#members.values()) {
      if (member !== except) member.deliver(bytes);
    }
    return 'delivered';
  }

  names(): string[] {
    return sortNames([...this.#members.values()].flatMap((m) => (m.name === undefined ? [] : [m.name])));
  }

  elsewhere(): void {}

  attach(events: HubEvents): void {
    this.#events = events;
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

/** PROTOCOL.md's /who order: without regard to case. */
export function sortNames(names: string[]): string[] {
  return names.sort((a, b) => nameKey(a).localeCompare(nameKey(b)));
}
