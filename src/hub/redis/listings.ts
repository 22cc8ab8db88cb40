import type { Redis } from '../../redis/ioredis.js';
import { nameKey } from '../../protocol/names.js';
import { compareNames, sortNames } from '../../protocol/name-order.js';
import type { RoomCount, RoomListing } from '../hub.js';
import { NO_STATE, parseState } from '../../protocol/room-state.js';
import type { Scripts } from './calls.js';

/** /who, /rooms, or /who ROOM for the room key KEY. */
type Listing = 'names' | 'rooms' | `room:${string}`;

/**
 * How long a /who, /rooms or /who ROOM answer from Redis is used again: reading and sorting 10,000
 * names takes tens of milliseconds, which a flood of listings must not multiply.
 */
export const LISTING_CACHE_MS = 1000;

export interface ListingsOptions {
  /** The command connection: /who is one HVALS. */
  cmd: Pick<Redis, 'hvals'>;
  /** Our scripts, on it: /rooms and /who ROOM. */
  lua: Pick<Scripts, 'chatRoomNames' | 'chatRoomList'>;
  /** Prefix of every key. */
  prefix: string;
  /** Users per room key over the whole chat (HubState.roomSizes): every room listing updates it. */
  roomSizes: Map<string, number>;
  /** Whether Redis may be asked (the hub is up): while not, every listing is undefined. */
  available: () => boolean;
  /** The clock the cache goes by, in ms. Default Date.now. */
  now?: () => number;
}

/** The /who, /rooms and /who ROOM listings over the whole chat, from Redis, each asked for at most once a LISTING_CACHE_MS. */
export class Listings {
  readonly #cmd: Pick<Redis, 'hvals'>;
  readonly #lua: Pick<Scripts, 'chatRoomNames' | 'chatRoomList'>;
  readonly #prefix: string;
  readonly #roomSizes: Map<string, number>;
  readonly #available: () => boolean;
  readonly #now: () => number;
  /** The last /who and /rooms answers from Redis, and when they were asked for (see #cached). */
  readonly #listings = new Map<Listing, { at: number; answer: Promise<unknown> }>();

  constructor(options: ListingsOptions) {
    this.#cmd = options.cmd;
    this.#lua = options.lua;
    this.#prefix = options.prefix;
    this.#roomSizes = options.roomSizes;
    this.#available = options.available;
    this.#now = options.now ?? Date.now;
  }

  roomNames(room: string): Promise<RoomListing | undefined> | undefined {
    return this.#cached(`room:${nameKey(room)}`, () =>
      this.#lua.chatRoomNames(this.#prefix, nameKey(room)).then(([shown, json, ...names]): RoomListing => {
        if (shown === undefined) return 'no such room';
        this.#roomSizes.set(nameKey(shown), names.length);
        return { room: shown, names: sortNames(names), state: parseState(json ?? '') ?? NO_STATE };
      }),
    );
  }

  rooms(): Promise<readonly RoomCount[] | undefined> | undefined {
    return this.#cached('rooms', () =>
      this.#lua.chatRoomList(this.#prefix).then((flat) => {
        const list: RoomCount[] = [];
        for (let i = 0; i + 2 < flat.length; i += 3) {
          const room: RoomCount = { name: String(flat[i]), count: Number(flat[i + 1]) };
          if (Number(flat[i + 2]) === 1) room.hidden = true;
          list.push(room);
        }
        for (const r of list) this.#roomSizes.set(nameKey(r.name), r.count);
        return list.sort((a, b) => compareNames(a.name, b.name));
      }),
    );
  }

  /**
   * Everyone online, from Redis at most once a second: reading and sorting 10,000 names
   * takes tens of milliseconds, which a /who flood from many connections must not multiply.
   * Our own users' changes are seen at once; other servers' within a second.
   */
  names(): Promise<readonly string[] | undefined> | undefined {
    return this.#cached('names', () =>
      // "SERVER Name [OTHER...]" (scripts.ts, HOLDERS): the name is the second word.
      this.#cmd.hvals(`${this.#prefix}names`).then((entries) => sortNames(entries.map((entry) => entry.split(' ', 2)[1] ?? entry))),
    );
  }

  /**
   * A listing from Redis, asked for at most once a LISTING_CACHE_MS: undefined while Redis
   * is away. Our own changes clear the cache (changed), so our users see them at once.
   */
  #cached<T>(which: Listing, fetch: () => Promise<T>): Promise<T | undefined> | undefined {
    if (!this.#available()) return undefined;
    const cached = this.#listings.get(which);
    if (cached !== undefined && this.#now() - cached.at < LISTING_CACHE_MS) return cached.answer as Promise<T | undefined>;
    const answer = fetch().catch(() => {
      this.#listings.delete(which);
      return undefined;
    });
    this.#listings.set(which, { at: this.#now(), answer });
    return answer;
  }

  /** Something of ours changed: listings are asked for again. */
  changed(): void {
    this.#listings.clear();
  }
}
