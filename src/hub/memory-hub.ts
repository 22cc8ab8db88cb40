import { nameKey } from '../protocol/names.js';
import type { Claim, Delivery, Hub, Member } from './hub.js';

/**
 * One process's users: a direct message is one map lookup, whatever the number of users.
 * Every answer is immediate, and the hub never loses touch with anyone, so it has no events.
 */
export class MemoryHub implements Hub {
  readonly #members = new Map<string, Member>();
  /**
   * Registered names in /who order, kept up to date on every change: /who then costs a
   * join, not a sort (sorting 8,000 names per /who let a /who flood stall everyone).
   */
  readonly #sorted = new SortedNames();

  get size(): number {
    return this.#members.size;
  }

  claim(name: string, member: Member): Claim {
    const key = nameKey(name);
    const holder = this.#members.get(key);
    if (holder !== undefined && holder !== member) return 'taken';
    if (holder === undefined) this.#sorted.add(name);
    else this.#sorted.replace(name);
    this.#members.set(key, member);
    return 'claimed';
  }

  rename(member: Member, oldName: string, newName: string): Claim {
    const oldKey = nameKey(oldName);
    if (oldKey === nameKey(newName)) {
      if (this.#members.get(oldKey) !== member) return 'taken';
      this.#sorted.replace(newName); // the same name in another case: shown as now written
      return 'claimed';
    }
    const claim = this.claim(newName, member);
    if (claim === 'claimed') this.release(oldName, member);
    return claim;
  }

  release(name: string, member: Member): void {
    const key = nameKey(name);
    if (this.#members.get(key) !== member) return;
    this.#members.delete(key);
    this.#sorted.remove(name);
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

  /** The kept list itself: read it, never change it. */
  names(): readonly string[] {
    return this.#sorted.names;
  }

  elsewhere(): void {}

  attach(): void {}

  close(): Promise<void> {
    return Promise.resolve();
  }
}

/** PROTOCOL.md's /who order: without regard to case. Names are ASCII, so no locale is needed. */
export function compareNames(a: string, b: string): number {
  const ka = nameKey(a);
  const kb = nameKey(b);
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

export function sortNames(names: string[]): string[] {
  return names.sort(compareNames);
}

/** Names kept in /who order under insertions and removals: a binary search and a splice each. */
export class SortedNames {
  readonly names: string[] = [];

  add(name: string): void {
    this.names.splice(this.#find(name), 0, name);
  }

  /** The same name in another case (a rename to a new case): same place. */
  replace(name: string): void {
    const at = this.#find(name);
    if (at < this.names.length && compareNames(this.names[at]!, name) === 0) this.names[at] = name;
    else this.names.splice(at, 0, name);
  }

  remove(name: string): void {
    const at = this.#find(name);
    if (at < this.names.length && compareNames(this.names[at]!, name) === 0) this.names.splice(at, 1);
  }

  /** The first place whose name does not sort before NAME. */
  #find(name: string): number {
    let lo = 0;
    let hi = this.names.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compareNames(this.names[mid]!, name) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
