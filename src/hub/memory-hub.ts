import { nameKey } from '../protocol/names.js';
import type { Hub, Member } from './hub.js';

/** One process's users: a direct message is one map lookup, whatever the number of users. */
export class MemoryHub implements Hub {
  readonly #members = new Map<string, Member>();

  get size(): number {
    return this.#members.size;
  }

  claim(name: string, member: Member): boolean {
    const key = nameKey(name);
    const holder = this.#members.get(key);
    if (holder !== undefined && holder !== member) return false;
    this.#members.set(key, member);
    return true;
  }

  rename(member: Member, oldName: string, newName: string): boolean {
    const oldKey = nameKey(oldName);
    const newKey = nameKey(newName);
    if (oldKey === newKey) return this.#members.get(oldKey) === member;
    if (!this.claim(newName, member)) return false;
    this.release(oldName, member);
    return true;
  }

  release(name: string, member: Member): void {
    const key = nameKey(name);
    if (this.#members.get(key) === member) this.#members.delete(key);
  }

  lookup(name: string): Member | undefined {
    return this.#members.get(nameKey(name));
  }

  broadcast(bytes: Buffer, except: Member | undefined): void {
    for (const member of this.#members.values()) {
      if (member !== except) member.deliver(bytes);
    }
  }

  names(): string[] {
    const names: string[] = [];
    for (const member of this.#members.values()) if (member.name !== undefined) names.push(member.name);
    return names.sort((a, b) => nameKey(a).localeCompare(nameKey(b)));
  }
}
