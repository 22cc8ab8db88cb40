/** Orders two stream ids (MS-SEQ): negative when A is older than B. */
export function compareIds(a: string, b: string): number {
  const [am = 0n, as = 0n] = a.split('-').map(BigInt);
  const [bm = 0n, bs = 0n] = b.split('-').map(BigInt);
  return am !== bm ? (am < bm ? -1 : 1) : as === bs ? 0 : as < bs ? -1 : 1;
}

/** Names remembered at most: beyond, the memory starts again (a lookup in Redis refills it). */
const MAX_HOLDERS = 100_000;

/** The time part of a stream id, in ms. */
const msOf = (id: string): number => Number(id.slice(0, id.indexOf('-')));

/**
 * A copy of S that holds nothing else: a piece cut from a longer string (an answer of
 * Redis, a line read) would keep all of it alive as long as it is remembered. Name keys and
 * server ids are ASCII, which latin1 copies as it is.
 */
const own = (s: string): string => Buffer.from(s, 'latin1').toString('latin1');

/**
 * Which server holds which name, as this server last heard from Redis: a name key, the id
 * of its server. With it a direct message to a user of another server goes into the stream
 * without a lookup in Redis, and is answered at once.
 *
 * Redis tells every server when a name stops being where it was (the scripts that release,
 * free or take a name add a "names changed" entry to the stream, read in order with the
 * messages). What the lookup script answered is remembered only if no such change has been
 * read since that answer's entry: a change read already may be newer than the answer, and
 * one not yet read will be read after it and forget it. So a name is remembered wrongly
 * for no longer than the stream takes to reach this server.
 */
export class Holders {
  readonly #servers = new Map<string, string>();
  /** One copy of each server id remembered (see own). */
  readonly #ids = new Map<string, string>();
  /** The id of the last "names changed" entry read: answers older than it are not trusted. */
  #changedAt = '0-0';
  /**
   * Counts the clears. An answer to a lookup asked before a clear is not learned: a clear
   * means changes may have been missed since (an outage), and the answer can land after it.
   */
  #generation = 0;

  constructor(
    /** This server's id: its own users are never looked up here. */
    readonly self: string,
    readonly max = MAX_HOLDERS,
  ) {}

  get size(): number {
    return this.#servers.size;
  }

  /** The server holding KEY, if known. */
  get(key: string): string | undefined {
    return this.#servers.get(key);
  }

  /** The servers of KEYS, in order; undefined unless every one is known. */
  serversOf(keys: Iterable<string>): string[] | undefined {
    const servers: string[] = [];
    for (const key of keys) {
      const server = this.#servers.get(key);
      if (server === undefined) return undefined;
      servers.push(server);
    }
    return servers;
  }

  /** What to give learn() with an answer: the generation when the question was asked. */
  get generation(): number {
    return this.#generation;
  }

  /** Redis answered, with the entry ENTRYID, that SERVER holds KEY, to a lookup asked in GENERATION. */
  learn(key: string, server: string, entryId: string, generation = this.#generation): void {
    if (server === this.self || generation !== this.#generation || compareIds(entryId, this.#changedAt) <= 0) return;
    if (this.#servers.size >= this.max && !this.#servers.has(key)) this.clear();
    let id = this.#ids.get(server);
    if (id === undefined) {
      id = own(server);
      this.#ids.set(id, id);
    }
    this.#servers.set(own(key), id);
  }

  /** Redis answered that nobody holds KEY: the change is on its way, and we know it already. */
  forget(key: string): void {
    this.#servers.delete(key);
  }

  /**
   * ADDED is the id of an entry we just added, READ the last one our reader has read: a
   * reader that far behind may find the changes it has not read trimmed away by then (the
   * stream keeps KEEPMS), so nothing remembered can be trusted.
   */
  lagging(added: string, read: string, keepMs: number): void {
    // Nothing read yet (a stream empty when we came): nothing could be missed.
    if (read !== '0-0' && msOf(added) - msOf(read) > keepMs / 2) this.clear();
  }

  /** The stream's entry ENTRYID says these names changed hands. */
  changed(entryId: string, keys: readonly string[]): void {
    if (compareIds(entryId, this.#changedAt) > 0) this.#changedAt = entryId;
    for (const key of keys) this.#servers.delete(key);
  }

  /** Forgets every name: changes may be missed while cut off from Redis. */
  clear(): void {
    this.#generation++;
    this.#servers.clear();
    this.#ids.clear();
  }

  /** Forgets everything: the stream has begun again (Redis lost its data), its ids from the start. */
  restart(): void {
    this.clear();
    this.#changedAt = '0-0';
  }
}
