import { nameKey } from './names.js';

/** docs/protocol.md's /who order: without regard to case. Names are ASCII, so no locale is needed. */
export function compareNames(a: string, b: string): number {
  const ka = nameKey(a);
  const kb = nameKey(b);
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

/**
 * Users and their rooms as groups of users in the same rooms, each group's names in /who
 * order: presence for many users at once (a dead server, a shutdown, an outage) goes as one
 * notice per group, and each person hears of each user once (docs/protocol.md, "Rooms").
 */
export function namesByRooms(users: Iterable<{ readonly name: string; readonly rooms: readonly string[] }>): { rooms: string[]; names: string[] }[] {
  const groups = new Map<string, { rooms: string[]; names: string[] }>();
  for (const { name, rooms } of users) {
    if (rooms.length === 0) continue;
    const key = rooms.map(nameKey).sort().join(' ');
    const group = groups.get(key);
    if (group) group.names.push(name);
    else groups.set(key, { rooms: [...rooms], names: [name] });
  }
  for (const group of groups.values()) sortNames(group.names);
  return [...groups.values()];
}

/** Sorts NAMES in place in /who order; each name is lower-cased once, not at each comparison. */
export function sortNames(names: string[]): string[] {
  const keyed = names.map((name) => [nameKey(name), name] as const);
  keyed.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  keyed.forEach(([, name], i) => {
    names[i] = name;
  });
  return names;
}

/** Names kept in /who order under insertions and removals: a binary search and a splice each. */
export class SortedNames {
  readonly names: string[] = [];

  add(name: string): void {
    this.names.splice(this.#find(name), 0, name);
  }

  /** Adds NAME unless it is there already (in any case): whether it was added. */
  addNew(name: string): boolean {
    const at = this.#find(name);
    if (at < this.names.length && compareNames(this.names[at]!, name) === 0) return false;
    this.names.splice(at, 0, name);
    return true;
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
