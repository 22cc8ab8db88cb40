import type { Redis } from '../../redis/ioredis.js';
import { nameKey } from '../../protocol/names.js';
import type {
  Claim,
  Delivery,
  DirectMessage,
  Hub,
  HubEvents,
  HubLink,
  Join,
  JoinEntry,
  Member,
  Part,
  Removal,
  RoomCount,
  RoomEvent,
  RoomInfo,
  RoomListing,
  StateWrite,
} from '../hub.js';
import type { RoomState } from '../../protocol/room-state.js';
import { connections, Link } from './link.js';
import { Outbox } from './outbox.js';
import { type PeerOptions, Peers } from './peers.js';
import { Reader } from './reader.js';
import { Recovery } from './recovery.js';
import { Registry } from './registry.js';
import { Routing } from './routing.js';
import { HubState, type RedisHubOptions } from './state.js';

export { redactUrl } from '../../redis/connection.js';
export { ClusterMismatchError, RedisUnavailableError } from './link.js';
export { DEFAULT_LEASE_MS, type RedisHubOptions } from './state.js';

/**
 * Several servers, one chat, through Redis: names live in a Redis hash with the id of the
 * server that holds them; every message between servers goes into one Redis stream, which
 * each server reads from the last entry it has seen, so that one cut off for a moment
 * delivers what it missed once it is back. A server renews a lease on all its names at once;
 * when it dies, another frees its names once the lease is out. While Redis is unreachable,
 * users of the same server go on talking; what needs the cluster is answered at once with
 * an error, and the names are reclaimed when Redis is back (docs/cluster.md).
 *
 * The work is done by its parts, around the state they share (state.ts): the connections
 * (link.ts), the names and rooms (registry.ts), where messages go (routing.ts), the turn's
 * batch for the stream (outbox.ts), the stream's reader (reader.ts), the lease and the way
 * back after an outage (recovery.ts), the cached listings (listings.ts).
 */
export class RedisHub implements Hub {
  /** Unique to this process's run: a restarted server never takes an old run's names for its own. */
  readonly id: string;
  readonly url: string;
  readonly leaseMs: number;
  readonly #s: HubState;
  readonly #link: Link;
  readonly #outbox: Outbox;
  readonly #routing: Routing;
  readonly #reader: Reader;
  readonly #recovery: Recovery;
  readonly #registry: Registry;
  #starting: Promise<void> | undefined;
  readonly #peerOptions: PeerOptions | undefined;

  constructor(options: RedisHubOptions) {
    const s = new HubState(options, connections);
    this.#peerOptions = options.peers;
    this.#s = s;
    this.id = s.id;
    this.url = s.url;
    this.leaseMs = s.leaseMs;
    this.#link = new Link(s, () => {
      this.#recovery.maybeUp();
      this.#link.wakeReader();
    });
    this.#outbox = new Outbox(s);
    this.#routing = new Routing(s, this.#outbox);
    this.#reader = new Reader(s, this.#link);
    this.#recovery = new Recovery(s, this.#link, this.#routing);
    this.#registry = new Registry(s, this.#outbox, this.#routing, this.#recovery);
  }

  /** The command connection, for a store to share (RedisStore): it never blocks. */
  get connection(): Redis {
    return this.#s.cmd;
  }

  /**
   * Connects, joins the chat and starts renewing the lease. Rejects when Redis cannot be
   * reached. Calling it again returns the same promise.
   */
  start(): Promise<void> {
    this.#starting ??= this.#start();
    return this.#starting;
  }

  async #start(): Promise<void> {
    try {
      await this.#link.open();
      await this.#reader.fromEnd();
    } catch (err) {
      throw this.#link.refused(err);
    }
    // Listening for links before joining: a server that cannot is not in the chat at all.
    const peers =
      this.#peerOptions === undefined
        ? undefined
        : new Peers(this.#s, this.#peerOptions, {
            deliver: (entry) => this.#reader.fromPeer(entry),
            acked: (batch) => this.#outbox.linkAcked(batch),
            lost: (batches) => this.#outbox.linkLost(batches),
          });
    try {
      await peers?.start();
    } catch (err) {
      this.#link.refused(err);
      throw err;
    }
    this.#s.peers = peers;
    try {
      await this.#recovery.join();
    } catch (err) {
      await peers?.close();
      this.#s.peers = undefined;
      throw this.#link.refused(err);
    }
    this.#s.started = true;
    this.#s.up = true;
    this.#link.lastError = '';
    this.#recovery.renewEvery();
    this.#reader.start();
  }

  get size(): number {
    return Math.max(this.#s.size, this.#s.local.size);
  }

  attach(events: HubEvents): void {
    this.#s.events = events;
  }

  claim(name: string, member: Member, takeOver = false, lobby = true, maxDevices = 1): Claim | Promise<Claim> {
    return this.#registry.claim(member, name, undefined, takeOver, lobby, maxDevices);
  }

  rename(member: Member, oldName: string, newName: string, takeOver = false): Claim | Promise<Claim> {
    return this.#registry.claim(member, newName, oldName, takeOver);
  }

  release(name: string, member: Member): boolean | Promise<boolean> {
    return this.#registry.release(name, member);
  }

  lookup(name: string): Member | undefined {
    return this.#s.local.get(nameKey(name));
  }

  shown(name: string): string | undefined {
    return this.#s.shown.get(nameKey(name));
  }

  devices(name: string): readonly Member[] {
    return this.#s.all(nameKey(name));
  }

  heldElsewhere(name: string): boolean {
    return this.#s.shared.has(nameKey(name));
  }

  remove(name: string, removal: Removal): Delivery | Promise<Delivery> {
    return this.#routing.remove(name, removal);
  }

  direct(to: string, message: DirectMessage, from?: Member): Delivery | Promise<Delivery> {
    return this.#routing.direct(to, message, from);
  }

  toRooms(rooms: readonly string[], event: RoomEvent, except: Member | undefined, notice = false): 'unavailable' | Promise<'delivered' | 'unavailable'> {
    return this.#routing.toRooms(rooms, event, except, notice);
  }

  elsewhere(rooms: readonly string[], event: RoomEvent): void {
    this.#routing.elsewhere({ rooms: [...rooms], event });
  }

  join(member: Member, room: string, maxRooms: number, entry?: JoinEntry): Join | Promise<Join> {
    return this.#registry.join(member, room, maxRooms, entry);
  }

  roomState(room: string, fresh = false): RoomInfo | Promise<RoomInfo | undefined> | undefined {
    return this.#registry.roomState(room, fresh);
  }

  setRoomState(room: string, from: number, state: RoomState): StateWrite | Promise<StateWrite> {
    return this.#registry.setRoomState(room, from, state);
  }

  part(member: Member, room: string, removedBy?: { by: string; reason: string }): Part {
    return this.#registry.part(member, room, removedBy);
  }

  roomsOf(member: Member): readonly string[] {
    return this.#s.rooms.roomsOf(member);
  }

  roomSize(room: string): number {
    return Math.max(this.#s.roomSizes.get(nameKey(room)) ?? 0, this.#s.rooms.size(room));
  }

  roomNames(room: string): Promise<RoomListing | undefined> | undefined {
    return this.#s.listings.roomNames(room);
  }

  rooms(): Promise<readonly RoomCount[] | undefined> | undefined {
    return this.#s.listings.rooms();
  }

  names(): Promise<readonly string[] | undefined> | undefined {
    return this.#s.listings.names();
  }

  async close(): Promise<void> {
    const s = this.#s;
    if (s.closed) return;
    s.closed = true;
    this.#recovery.stopRenewing();
    this.#outbox.flush();
    await this.#s.peers?.close();
    this.#link.wakeReader();
    await this.#recovery.syncing;
    if (s.up) await this.#recovery.leave();
    s.up = false;
    await this.#link.shut();
    await this.#reader.reading;
  }

  /** For the operator's health check and metrics: this hub is its own link. */
  get link(): HubLink {
    return this;
  }

  /** For the operator (/healthz, metrics): in the chat through Redis, not cut off from it. */
  get connected(): boolean {
    return this.#s.up;
  }

  /** Times one PING on the command connection, in ms (metrics); rejects while Redis does not answer. */
  roundTrip(): Promise<number> {
    return this.#link.roundTrip();
  }

  /** For /healthz: connected, and yet this server's canaries (canary.ts) have not come back. */
  deliveryProblem(): string | undefined {
    const { canary, up } = this.#s;
    const late = up ? canary.late() : undefined;
    if (late === undefined) return undefined;
    const seconds = (late / 1000).toFixed(1);
    if (canary.lateness() === 'behind') return `the cluster's stream is behind on this server: what it wrote ${seconds} s ago has not come back yet`;
    return `the cluster's stream has delivered nothing to this server for ${seconds} s: its reader is made again`;
  }

  onDelivery(listener: (ms: number) => void): void {
    this.#s.canary.onRoundTrip(listener);
  }
}
