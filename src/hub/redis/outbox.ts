import { nameKey } from '../../protocol/names.js';
import type { Delivery, Member, RoomEvent } from '../hub.js';
import { byteLength, entryOf, eventBody, FIELD, joinFrames, roomHeader } from './cluster-message.js';
import type { HubState } from './state.js';

/** The messages of one turn go in one entry up to this many bytes (see queue). */
const BATCH_MAX_BYTES = 256 * 1024;
/**
 * Messages in one entry at most: the script looks up their users with one HMGET, and gets
 * their keys as arguments it unpacks (Lua unpacks at most about 8,000).
 */
const BATCH_MAX_MESSAGES = 1000;

/** A message of the turn's batch (Outbox.#batch). */
interface Queued {
  key: number;
  done: ((answer: Delivery) => void) | undefined;
  from: Member | undefined;
  to: string;
}

/** A batch taken from the outbox (Outbox.#take): its messages, frames, and users' keys. */
interface Taken {
  batch: Queued[];
  frames: (Buffer | string)[];
  keys: Map<string, number>;
}

/** What this server adds to the stream: the room and direct messages of each turn, as one entry (BATCH). */
export class Outbox {
  readonly #s: HubState;
  /**
   * Room and direct messages of this event-loop turn, in the order they were sent, added to
   * the stream as one entry (flush): each with the index of its user in #keys (-1 for a
   * room) and either its answer to give or, answered at once, its sender and addressee (see
   * #lost); the frames (cluster-message.ts); and the name keys the user frames are for, each
   * once and in the order first named.
   */
  #batch: Queued[] = [];
  #frames: (Buffer | string)[] = [];
  #keys = new Map<string, number>();
  #batchBytes = 0;
  /**
   * Batches full already that wait, in order, for what went by link to be handed over before
   * they go into the stream (flush).
   */
  #sealed: Taken[] = [];
  /** Batches sent and not answered yet: while one is, the next grows (see #add). */
  #sending = 0;

  constructor(s: HubState) {
    this.#s = s;
  }

  /**
   * Adds EVENT for ROOMS to the stream, with the other messages of this event-loop turn: one
   * entry, one command, however many messages the turn had (flush). Not for server SKIP.
   */
  publish(rooms: readonly string[], event: RoomEvent, skip = ''): 'unavailable' | Promise<'delivered' | 'unavailable'> {
    if (!this.#s.up) return 'unavailable';
    const body = eventBody(event);
    const size = byteLength(body);
    return this.queue(roomHeader(rooms.map(nameKey), size, skip), body, size) as Promise<'delivered' | 'unavailable'>;
  }

  /**
   * Adds a frame to this turn's batch (see #batch), for a user KEY or (without KEY) a room;
   * its answer comes once the batch is in. SIZE is BODY's byteLength, counted once by the
   * caller for the header too: for a string, each count is a call into C++ (and a flattening).
   */
  queue(header: string, body: Buffer | string, size: number, key?: string): Promise<Delivery> {
    return new Promise((done) => {
      this.#add({ key: key === undefined ? -1 : this.#keyAt(key), done, from: undefined, to: '' }, header, body, size);
    });
  }

  /**
   * Adds a direct message to a user KEY whose server we know (holders.ts), already answered
   * `delivered`: FROM is told should it be lost (#lost). HEADER and SIZE as for queue.
   */
  known(key: string, header: string, body: Buffer | string, size: number, from: Member | undefined, to: string): void {
    this.#add({ key: this.#keyAt(key), done: undefined, from, to }, header, body, size);
  }

  /** KEY's index in this turn's #keys, added if new. */
  #keyAt(key: string): number {
    let at = this.#keys.get(key);
    if (at === undefined) {
      at = this.#keys.size;
      this.#keys.set(key, at);
      // The entry's first line names the user's server: an id about as long as ours.
      this.#batchBytes += key.length + this.#s.id.length + 2;
    }
    return at;
  }

  #add(queued: Queued, header: string, body: Buffer | string, size: number): void {
    // Bytes, not characters: 1360 CJK characters are 4 KB on the wire.
    this.#batchBytes += header.length + size;
    this.#batch.push(queued);
    this.#frames.push(header, body);
    // A turn of many long lines goes in several entries: no entry, nor read, grows without end.
    if (this.#batchBytes >= BATCH_MAX_BYTES || this.#batch.length >= BATCH_MAX_MESSAGES) this.flush();
    else if (this.#batch.length === 1 && this.#sending === 0) setImmediate(() => this.flush());
  }

  /**
   * A batch was answered. While one is on its way, the turns after it add to the next
   * instead of sending one each (#add): under load an entry holds what came during a round
   * trip to Redis, however short the turns, and idle nothing waits. Sent now if it waits.
   */
  #sent(): void {
    if (--this.#sending === 0 && this.#batch.length > 0) this.flush();
  }

  /** Sends the room messages waiting (publish): before anything else that adds to the stream, to keep their order. */
  flush(): void {
    const s = this.#s;
    if (this.#batch.length === 0 && this.#sealed.length === 0) return;
    if (!s.up) {
      return this.#lost(...this.#sealed.splice(0).map(({ batch }) => batch), this.#take().batch);
    }
    // For one other server, with nothing of ours on its way into the stream (whose id the
    // batch must wait behind there): by the direct link, when one is up (peers.ts).
    const looked = this.#sealed.length === 0 && this.#sending === 0;
    const servers = looked ? this.#serversOf(this.#batch, this.#keys) : undefined;
    const to = servers === undefined ? undefined : oneServer(servers);
    if (to !== undefined && s.peers?.ready(to)) {
      const { batch, frames, keys } = this.#take();
      const entry = entryOf(s.id, keys.keys(), servers!, frames);
      return s.peers.send(to, entry, s.lastAdded || '-', batch);
    }
    // Into the stream, not before what went by link is handed over: it would overtake it.
    // Meanwhile nothing more goes by link, and a batch full already waits as it is.
    if (s.peers !== undefined && s.peers.pending > 0) {
      if (this.#batchBytes >= BATCH_MAX_BYTES || this.#batch.length >= BATCH_MAX_MESSAGES) this.#sealed.push(this.#take());
      return s.peers.whenSettled(() => this.flush());
    }
    for (const sealed of this.#sealed.splice(0)) this.#toStream(sealed);
    // The servers looked up above are this batch's still: not looked up twice.
    if (this.#batch.length > 0) this.#toStream(this.#take(), looked ? servers : undefined, looked);
  }

  /** The servers of every user BATCH names when all are known; undefined with a room message, or one not known. */
  #serversOf(batch: readonly Queued[], keys: Map<string, number>): string[] | undefined {
    // A room message makes the entry one for every server, whoever else it names.
    return batch.some(({ key }) => key < 0) ? undefined : this.#s.holders.serversOf(keys.keys());
  }

  /** A batch taken into the stream: as it is when every user's server is known (KNOWN, when LOOKED up already), else through the lookup script. */
  #toStream({ batch, frames, keys }: Taken, known?: string[], looked = false): void {
    const s = this.#s;
    const servers = looked ? known : this.#serversOf(batch, keys);
    if (servers !== undefined) {
      // Every user's server is known: the entry goes in as it is, with no lookup.
      const entry = entryOf(s.id, keys.keys(), servers, frames);
      const added = s.cmd.xadd(s.stream, 'MINID', '~', s.minId(), '*', FIELD, entry);
      return this.#send(batch, added, (id) => {
        this.#added(id ?? '-');
        delivered(batch);
      });
    }
    const forAll = batch.some(({ key }) => key < 0);
    const args = [s.prefix, s.id, s.minId(), joinFrames(frames), String(batch.length), forAll ? '1' : '0', ...keys.keys()];
    const generation = s.holders.generation;
    this.#send(batch, s.lua.chatBatch(...args), (answer) => {
      // Not in the chat (Redis emptied, our lease gone): "no such user" would be a guess.
      // The senders are told, and the next tick rejoins.
      if (answer === '!') {
        s.needsSync = true;
        return this.#lost(batch);
      }
      // The entry's id, then each user's server or '-' (BATCH).
      const [entryId = '-', ...held] = answer.split(' ');
      this.#added(entryId);
      let i = 0;
      for (const key of keys.keys()) {
        const server = held[i++];
        if (server === '-') s.holders.forget(key);
        else if (server !== undefined) s.holders.learn(key, server, entryId, generation);
      }
      for (const { key, done } of batch) done?.(key < 0 || (held[key] ?? '-') !== '-' ? 'delivered' : 'no such user');
    });
  }

  /** The batch of this turn, taken: the next starts empty. */
  #take(): Taken {
    const taken = { batch: this.#batch, frames: this.#frames, keys: this.#keys };
    this.#batch = [];
    this.#frames = [];
    this.#keys = new Map();
    this.#batchBytes = 0;
    return taken;
  }

  /**
   * Counts the batch's command SENT until it is answered, then gives its answers (ANSWERED)
   * or, if it failed, #lost; then what waited goes (#sent). A bug in ANSWERED is logged,
   * never a crash of the process.
   */
  #send<T>(batch: Queued[], sent: Promise<T>, answered: (answer: T) => void): void {
    this.#sending++;
    sent
      .then(answered, () => this.#lost(batch))
      .finally(() => this.#sent())
      .catch((err: Error) => this.#s.events?.log(`could not finish sending messages to the stream: ${err.message}`, 'error'));
  }

  /** We added the entry ENTRYID ('-': none): a reader far behind it may have missed changes (Holders.lagging). */
  #added(entryId: string): void {
    const s = this.#s;
    if (entryId === '-') return;
    s.lastAdded = entryId;
    if (s.behind) s.holders.lagging(entryId, s.lastId, s.keepMs);
  }

  /** What a direct link confirmed (peers.ts): its messages are answered. */
  linkAcked(batch: unknown): void {
    delivered(batch as Queued[]);
  }

  /** What a link that broke had not confirmed, as one loss: each sender told once for each addressee. */
  linkLost(batches: unknown[]): void {
    this.#lost(...(batches as Queued[][]));
  }

  /**
   * A batch that did not reach Redis: its answers are `unavailable`, and the senders of
   * messages already answered (holders.ts) are told, once for each addressee: the message may
   * not have arrived (Redis may have added it before the connection was lost).
   */
  #lost(...batches: Queued[][]): void {
    const told = new Map<Member, Set<string>>();
    for (const { done, from, to } of batches.flat()) {
      done?.('unavailable');
      if (from === undefined) continue;
      const names = told.get(from) ?? new Set<string>();
      if (names.has(to)) continue;
      told.set(from, names.add(to));
      this.#s.events?.undelivered?.(from, to);
    }
  }
}

/** Answers every message of BATCH that waits for one: delivered. */
function delivered(batch: readonly Queued[]): void {
  for (const { done } of batch) done?.('delivered');
}

/** The one server SERVERS (Holders.serversOf) name, if they name one; undefined for several, or for devices on several. */
function oneServer(servers: readonly string[]): string | undefined {
  const first = servers[0];
  if (first === undefined || first.includes(',')) return undefined;
  for (const server of servers) if (server !== first) return undefined;
  return first;
}
