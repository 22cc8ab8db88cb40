import { nameKey } from '../protocol/names.js';
import { ownString } from '../protocol/own-string.js';
import type { RoomState } from '../protocol/room-state.js';
import { catchupOldest, markToKeep } from './catchup.js';
import { markerKeys, oldestMarkers } from './read-markers.js';
import { type KeptRoom, keptRoom, roomToKeep } from './owned-rooms.js';
import {
  DEFAULT_HISTORY_MEMORY,
  DEFAULT_STORE_LIMITS,
  DEVICE_MARKS_MAX,
  DIRECT_LOG_MAX,
  READ_MARKERS_MAX,
  type Ban,
  type DeviceMark,
  type DirectEntry,
  type HistoryEntry,
  type Keep,
  type KeptMessage,
  type Store,
  type StoreLimits,
  senderMax,
} from './store.js';

/**
 * What an entry costs beyond its characters: its object, the headers of its own strings (a
 * copy and the slice that views it, own-string.ts), its slot in #order and the room's queue.
 * Measured with --expose-gc at about 170 bytes (test/server/retained.test.ts checks the sum).
 */
const ENTRY_OVERHEAD = 160;

/** Bytes an entry holds in memory, about: V8 keeps up to two bytes a character. */
export function entryBytes(entry: HistoryEntry): number {
  return ENTRY_OVERHEAD + 2 * (entry.from.length + entry.text.length);
}

/** ENTRY as kept: its strings are copies that hold only their own characters (own-string.ts). */
function owned(entry: HistoryEntry): HistoryEntry {
  return { at: entry.at, from: ownString(entry.from), text: ownString(entry.text) };
}

/** One room's history: a queue with a moving head, so that dropping the oldest is O(1). */
class RoomHistory {
  entries: (HistoryEntry | undefined)[] = [];
  head = 0;
  /** Sequence number of entries[head]: the global queue names entries by (room, seq). */
  firstSeq = 0;

  get length(): number {
    return this.entries.length - this.head;
  }

  push(entry: HistoryEntry): number {
    this.entries.push(entry);
    return this.firstSeq + this.entries.length - this.head - 1;
  }

  shift(): HistoryEntry | undefined {
    const entry = this.entries[this.head];
    this.entries[this.head] = undefined;
    this.head++;
    this.firstSeq++;
    // Compact once half the array is dead, so a busy room's array does not grow forever.
    if (this.head > 1024 && this.head * 2 > this.entries.length) {
      this.entries = this.entries.slice(this.head);
      this.head = 0;
    }
    return entry;
  }

  last(n: number): HistoryEntry[] {
    const from = Math.max(this.head, this.entries.length - n);
    return this.entries.slice(from) as HistoryEntry[];
  }
}

export interface MemoryStoreOptions extends Partial<StoreLimits> {
  /** Bytes all histories may hold together; the oldest messages of the chat go first. */
  historyMemory?: number | undefined;
}

/**
 * The default store: everything in this process, lost at exit. Histories are bounded per room
 * (limits.history) and in total bytes (historyMemory), so that 10,000 rooms of 4 KB lines
 * cannot take the machine: past the total, the chat's oldest message is dropped, whatever
 * its room.
 */
export class MemoryStore implements Store {
  readonly limits: StoreLimits;
  readonly historyMemory: number;
  readonly #rooms = new Map<string, RoomHistory>();
  /** Every entry in the order it came, as (room, seq): the oldest of the chat is at the head. */
  #order: { room: RoomHistory; key: string; seq: number; bytes: number }[] = [];
  #orderHead = 0;
  #bytes = 0;
  /** Entries in all histories. */
  #live = 0;
  readonly #kept = new Map<string, KeptMessage[]>();
  #nextId = 1;
  readonly #bans = new Map<string, Ban>();
  /** Owned rooms by name key, as JSON (a copy no caller can change), and how many each owner has. */
  readonly #owned = new Map<string, KeptRoom>();
  readonly #ownedBy = new Map<string, number>();
  /** Direct messages logged for catch-up by account key, in the order logged (DIRECT_LOG_MAX each). */
  readonly #directs = new Map<string, DirectEntry[]>();
  /** Each account's device marks by device key (DEVICE_MARKS_MAX each). */
  readonly #marks = new Map<string, Map<string, DeviceMark>>();
  /** Each account's read markers: target key -> time (READ_MARKERS_MAX each). */
  readonly #markers = new Map<string, Map<string, number>>();

  constructor(
    options: MemoryStoreOptions = {},
    private readonly now: () => number = Date.now,
  ) {
    const { historyMemory, ...limits } = options;
    const defined = Object.fromEntries(Object.entries(limits).filter(([, v]) => v !== undefined));
    this.limits = { ...DEFAULT_STORE_LIMITS, ...defined };
    this.historyMemory = historyMemory ?? DEFAULT_HISTORY_MEMORY;
  }

  /** Bytes the histories hold now (see entryBytes). */
  get historyBytes(): number {
    return this.#bytes;
  }

  append(room: string, entry: HistoryEntry): void {
    if (this.limits.history <= 0) return;
    let key = nameKey(room);
    let history = this.#rooms.get(key);
    if (history === undefined) {
      key = ownString(key);
      history = new RoomHistory();
      this.#rooms.set(key, history);
    }
    const bytes = entryBytes(entry);
    const seq = history.push(owned(entry));
    this.#order.push({ room: history, key, seq, bytes });
    this.#bytes += bytes;
    this.#live++;
    if (history.length > this.limits.history) this.#dropOldest(history);
    while (this.#bytes > this.historyMemory && this.#orderHead < this.#order.length) this.#dropOldestOfAll();
  }

  /** Drops ROOM's oldest entry; its slot in #order goes stale and is skipped later. */
  #dropOldest(history: RoomHistory): void {
    const entry = history.shift();
    if (entry !== undefined) {
      this.#bytes -= entryBytes(entry);
      this.#live--;
    }
    // Stale slots would grow #order without end in a room at its limit: compact now and then.
    if (this.#order.length - this.#orderHead > 2 * this.#live + 1024) this.#compact();
  }

  #dropOldestOfAll(): void {
    const slot = this.#order[this.#orderHead]!;
    this.#orderHead++;
    if (slot.seq === slot.room.firstSeq && slot.room.length > 0) {
      slot.room.shift();
      this.#bytes -= slot.bytes;
      this.#live--;
      if (slot.room.length === 0 && this.#rooms.get(slot.key) === slot.room) this.#rooms.delete(slot.key);
    }
    if (this.#orderHead > 1024 && this.#orderHead * 2 > this.#order.length) this.#compact();
  }

  #compact(): void {
    this.#order = this.#order.slice(this.#orderHead).filter((slot) => slot.seq >= slot.room.firstSeq);
    this.#orderHead = 0;
  }

  history(room: string, n: number): HistoryEntry[] {
    if (n <= 0) return [];
    return this.#rooms.get(nameKey(room))?.last(n) ?? [];
  }

  keep(to: string, entry: HistoryEntry): Keep {
    const key = nameKey(to);
    const list = this.#fresh(key);
    if (list.length >= this.limits.offlineMax) return 'full';
    const from = nameKey(entry.from);
    if (list.filter((m) => nameKey(m.from) === from).length >= senderMax(this.limits)) return 'full from you';
    list.push({ ...owned(entry), id: String(this.#nextId++) });
    this.#kept.set(ownString(key), list);
    return 'kept';
  }

  kept(to: string): KeptMessage[] {
    return [...this.#fresh(nameKey(to))];
  }

  /** TO's kept messages without those past offlineMs (dropped here for good). */
  #fresh(key: string): KeptMessage[] {
    const list = this.#kept.get(key) ?? [];
    const oldest = this.now() - this.limits.offlineMs;
    const fresh = list.filter((m) => m.at > oldest);
    if (fresh.length !== list.length) {
      if (fresh.length) this.#kept.set(key, fresh);
      else this.#kept.delete(key);
    }
    return fresh;
  }

  remove(to: string, ids: readonly string[]): void {
    const key = nameKey(to);
    const list = this.#kept.get(key);
    if (list === undefined) return;
    const gone = new Set(ids);
    const left = list.filter((m) => !gone.has(m.id));
    if (left.length) this.#kept.set(key, left);
    else this.#kept.delete(key);
  }

  ban(ban: Ban): void {
    const name = ownString(ban.name);
    this.#bans.set(nameKey(name), { ...ban, name, reason: ownString(ban.reason) });
  }

  unban(name: string): boolean {
    return this.#bans.delete(nameKey(name));
  }

  banOf(name: string, now: number): Ban | undefined {
    const ban = this.#bans.get(nameKey(name));
    return ban && inForce(ban, now) ? { ...ban } : undefined;
  }

  bans(now: number): Ban[] {
    return sortBans([...this.#bans.values()].filter((b) => inForce(b, now)).map((b) => ({ ...b })));
  }

  ownedRoom(room: string): RoomState | undefined {
    const kept = this.#owned.get(nameKey(room));
    return kept && keptRoom(kept.room, kept.json);
  }

  saveRoom(room: string, state: RoomState): void {
    const next = roomToKeep(room, state);
    const was = this.#owned.get(next.room);
    if (was !== undefined && was.v >= next.v) return;
    if (was !== undefined) this.#count(was.owner, -1);
    this.#count(next.owner, 1);
    const key = ownString(next.room);
    this.#owned.set(key, { ...next, room: key, owner: ownString(next.owner) });
  }

  ownedRooms(owner: string): number {
    return this.#ownedBy.get(nameKey(owner)) ?? 0;
  }

  #count(owner: string, by: number): void {
    const n = (this.#ownedBy.get(owner) ?? 0) + by;
    if (n > 0) this.#ownedBy.set(ownString(owner), n);
    else this.#ownedBy.delete(owner);
  }

  logDirect(account: string, entry: DirectEntry): void {
    const key = nameKey(account);
    if (this.limits.catchupMs <= 0 || this.#freshMarks(key) === undefined) return;
    const log = this.#freshLog(key);
    log.push({ at: entry.at, from: ownString(entry.from), to: ownString(entry.to), text: ownString(entry.text) });
    if (log.length > DIRECT_LOG_MAX) log.splice(0, log.length - DIRECT_LOG_MAX);
    this.#directs.set(ownString(key), log);
  }

  directsSince(account: string, since: number): DirectEntry[] {
    if (this.limits.catchupMs <= 0) return [];
    const log = this.#freshLog(nameKey(account));
    // As the other stores answer: by time (logged in order, unless clocks went back), none run out.
    const after = Math.max(since, catchupOldest(this.limits, this.now()));
    return log
      .filter((e) => e.at > after)
      .map((e) => ({ ...e }))
      .sort((a, b) => a.at - b.at);
  }

  /** The account's log without what has run out (dropped here for good); logged in order, so from the head. */
  #freshLog(key: string): DirectEntry[] {
    const log = this.#directs.get(key) ?? [];
    const oldest = catchupOldest(this.limits, this.now());
    let stale = 0;
    while (stale < log.length && log[stale]!.at <= oldest) stale++;
    if (stale > 0) log.splice(0, stale);
    if (log.length === 0) this.#directs.delete(key);
    return log;
  }

  markDevice(account: string, device: string, mark: DeviceMark): void {
    if (this.limits.catchupMs <= 0) return;
    const kept = markToKeep(account, device, mark);
    const marks = this.#freshMarks(kept.account) ?? new Map<string, DeviceMark>();
    marks.set(ownString(kept.device), { at: kept.at, rooms: mark.rooms.map(ownString) });
    // The least recently left goes, by the time each left (as SQLite and Redis order them).
    while (marks.size > DEVICE_MARKS_MAX) {
      let first: [string, DeviceMark] | undefined;
      for (const pair of marks) if (first === undefined || pair[1].at < first[1].at) first = pair;
      marks.delete(first![0]);
    }
    this.#marks.set(ownString(kept.account), marks);
  }

  deviceMark(account: string, device: string): DeviceMark | undefined {
    if (this.limits.catchupMs <= 0) return undefined;
    const mark = this.#freshMarks(nameKey(account))?.get(nameKey(device));
    return mark && { at: mark.at, rooms: [...mark.rooms] };
  }

  /**
   * The account's marks without those that have run out; undefined when none is left. Its log
   * is then trimmed of what ran out too, as kept messages are when met: what is left runs out
   * within catchupMs, and the account logs nothing more.
   */
  #freshMarks(key: string): Map<string, DeviceMark> | undefined {
    const marks = this.#marks.get(key);
    if (marks === undefined) return undefined;
    const oldest = catchupOldest(this.limits, this.now());
    for (const [device, mark] of marks) if (mark.at <= oldest) marks.delete(device);
    if (marks.size > 0) return marks;
    this.#marks.delete(key);
    this.#freshLog(key);
    return undefined;
  }

  readMarker(account: string, target: string): number | undefined {
    const keys = markerKeys(account, target);
    return this.#markers.get(keys.account)?.get(keys.target);
  }

  setReadMarker(account: string, target: string, at: number): number {
    const keys = markerKeys(account, target, at);
    const markers = this.#markers.get(keys.account) ?? new Map<string, number>();
    const kept = Math.max(markers.get(keys.target) ?? at, at);
    markers.set(ownString(keys.target), kept);
    for (const old of oldestMarkers(markers, READ_MARKERS_MAX)) markers.delete(old);
    this.#markers.set(ownString(keys.account), markers);
    return kept;
  }

  async close(): Promise<void> {}
}

export function inForce(ban: Ban, now: number): boolean {
  return ban.until === undefined || ban.until > now;
}

export function sortBans(bans: Ban[]): Ban[] {
  return bans.sort((a, b) => (nameKey(a.name) < nameKey(b.name) ? -1 : nameKey(a.name) > nameKey(b.name) ? 1 : 0));
}
