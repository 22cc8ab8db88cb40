import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Redis } from '../../redis/ioredis.js';
import { CONNECT_TIMEOUT_MS, COMMAND_TIMEOUT_MS, RECONNECT_MAX_MS, redisTarget } from '../../redis/connection.js';
import type { HubEvents, Member } from '../hub.js';
import { RoomTable } from '../rooms.js';
import { Devices } from '../devices.js';
import type { Scripts } from './calls.js';
import { Holders } from './holders.js';
import { Listings } from './listings.js';
import { Canary } from './canary.js';
import type { SentinelWatch } from '../../redis/sentinel-watch.js';

/**
 * What the parts of the Redis hub share (hub.ts makes one and hands it to each part): its
 * settings, its connections, this server's members, and what it knows of Redis. Each part
 * keeps to itself what only it uses.
 */

export interface RedisHubOptions {
  /** redis://[[USER]:PASSWORD@]HOST[:PORT][/DB], rediss:// for TLS, or redis+sentinel://HOSTS/MASTER[/DB]. */
  url: string;
  /** A dead server's names are freed this long after its last renewal. Default 5000 ms. */
  leaseMs?: number;
  /** Prefix of every key and channel. Default "chat:". */
  prefix?: string;
  /**
   * Whether this server checks passwords (--users). The servers of one chat must agree: on a
   * server without accounts a stranger could take an account's name and get its messages.
   */
  accounts?: boolean;
  /** Direct links to the other servers (peers.ts); none without. */
  peers?: PeerOptions | undefined;
}

export const DEFAULT_LEASE_MS = 5000;

export interface PeerOptions {
  /** Where to listen: the host, and 0 for any free port. */
  host: string;
  port: number;
  /** Where the other servers reach it, when not there (NAT, a container's published port). */
  address?: { host: string; port: number } | undefined;
}

/** The direct links to other servers (peers.ts), as the outbox and the reader use them. */
export interface PeerLinks {
  /** A batch for SERVER may go by link now (else one is made, and the stream carries it). */
  ready(server: string): boolean;
  /** ENTRY to SERVER, whose link is ready, after our stream entry AFTER; BATCH comes back acked or lost. */
  send(server: string, entry: Buffer | string, after: string, batch: unknown): void;
  /** Batches sent by link and not confirmed: what goes into the stream waits for them. */
  readonly pending: number;
  whenSettled(settled: () => void): void;
  /** The reader has read the stream up to ID. */
  readTo(id: string): void;
  close(): Promise<void>;
}

/** What link.ts's connections() makes for a hub. */
export interface Connections {
  cmd: Redis;
  /** Our scripts, on cmd. */
  lua: Scripts;
  /** Reads the stream, blocking: a connection of its own, so that commands never wait behind a read. */
  reader: Redis;
  /** Through Sentinel: where the primary goes (link.ts). */
  watch?: SentinelWatch | undefined;
}

export class HubState {
  /** Unique to this process's run: a restarted server never takes an old run's names for its own. */
  readonly id = `${hostname().replace(/[^A-Za-z0-9._-]/g, '_')}-${process.pid}-${randomBytes(3).toString('hex')}`;
  readonly url: string;
  readonly leaseMs: number;
  readonly accounts: boolean;
  readonly prefix: string;
  /** The stream of messages between servers (cluster-message.ts). */
  readonly stream: string;
  readonly db: number | undefined;
  /** Redis run by Sentinel (a redis+sentinel:// URL): the primary may move. */
  readonly sentinel: boolean;
  /** How long a command may go unanswered before Redis counts as stalled. */
  readonly timeoutMs: number;
  /** The lease is renewed this often: a third of it, so that two renewals may be late. */
  readonly renewMs: number;
  /**
   * How long the stream keeps an entry, by Redis's clock: a server cut off for up to a lease
   * (then counted as dead) finds what it missed, with room for its reconnecting.
   */
  readonly keepMs: number;
  readonly cmd: Redis;
  readonly lua: Scripts;
  readonly reader: Redis;
  readonly watch: SentinelWatch | undefined;
  /** This server's members by name key (an account's first device). */
  readonly local = new Map<string, Member>();
  /** The other devices of accounts online here (Hub.devices). */
  readonly devices = new Devices();
  /**
   * Names of ours that other servers may hold too (devices of one account on several
   * servers): what is for them goes into the stream as well, for the others' devices.
   */
  readonly shared = new Set<string>();
  /** Names of ours claimed as an account's that devices may share (a password checked, --max-devices above 1). */
  readonly sharable = new Set<string>();
  /** Their names as registered: a member's own name changes only once a rename is answered. */
  readonly shown = new Map<string, string>();
  /** This server's members by room: room messages are delivered from here, by every server. */
  readonly rooms = new RoomTable();
  /** Users per room key over the whole chat, as last heard from Redis (for announceMax). */
  readonly roomSizes = new Map<string, number>();
  /** The cached /who and /rooms answers (listings.ts). */
  readonly listings: Listings;
  /** Names being claimed in Redis: no other member of ours may take them meanwhile. */
  readonly claiming = new Map<string, { member: Member; name: string; done?: Promise<unknown> }>();
  events: HubEvents | undefined;
  /** Names in the whole chat, as of the last answer from Redis. */
  size = 0;
  /** Both connections are up and Redis holds our names: cluster operations may go ahead. */
  up = false;
  started = false;
  closed = false;
  /** A release failed while we were up: Redis may hold a name nobody has. */
  needsSync = false;
  /**
   * Claims whose answer never came: Redis may have done them. The next sync removes them,
   * without announcing as gone a user nobody saw join.
   */
  readonly doubtful = new Set<string>();
  /**
   * Names a newer login here took back from a member of ours that had already lost them to
   * a login on another server: that server's eviction, still on its way, is for the member
   * gone, not for the one holding the name now.
   */
  readonly evictionsDue = new Set<string>();
  /** The id of the last entry of the stream read here: reading goes on after it. */
  lastId = '0-0';
  /** The id of the last entry this server added to the stream (Redis acknowledged it); '' for none yet. */
  lastAdded = '';
  /** The id of the last entry read here that carried messages (not a canary): what a loss is checked against. */
  lastMessage = '0-0';
  /** The highest id read here: a reposition after a failover (recovery.ts, #gaps) lowers lastId, not this. */
  readMax = '0-0';
  /** readMax when Redis was last lost: what this server had read when the failover came. */
  readAtOutage: string | undefined;
  /** When users were last told of a loss (performance.now()): one event is told once, however it is learned. */
  lossToldAt = Number.NEGATIVE_INFINITY;
  /** This server's entries read back through the stream (canary.ts): /healthz, and the reader's restart. */
  readonly canary: Canary;
  /** Where other servers' users are, as last heard from Redis. */
  readonly holders: Holders;
  /** The reader's last read took all it could: it is behind the stream (see Holders.lagging). */
  behind = false;
  /** The direct links to other servers, once started (peers.ts). */
  peers: PeerLinks | undefined;
  /** Why this server dropped its connections itself (the primary moved: link.ts), for the outage's log line (Link.down). */
  dropReason: string | undefined;

  /** CONNECT makes the connections, from the settings (link.ts's connections). */
  constructor(options: RedisHubOptions, connect: (settings: HubState) => Connections) {
    this.url = options.url;
    this.leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
    this.prefix = options.prefix ?? 'chat:';
    this.accounts = options.accounts ?? false;
    this.stream = `${this.prefix}stream`;
    const target = redisTarget(this.url);
    this.db = target?.db;
    this.sentinel = target?.sentinel ?? false;
    // A Redis that accepts and never answers must not hold a user's line forever.
    this.timeoutMs = Math.min(COMMAND_TIMEOUT_MS, this.leaseMs);
    this.renewMs = Math.max(50, Math.floor(this.leaseMs / 3));
    this.keepMs = 2 * this.leaseMs + CONNECT_TIMEOUT_MS + 2 * RECONNECT_MAX_MS;
    this.holders = new Holders(this.id);
    // Renewals every third of the lease: one written just after a reader stopped is late
    // half a lease later, within one lease of the stop (docs/cluster.md, "Health").
    // A read answers within a renewal interval when idle: one not answered in that and a
    // command timeout is no evidence that the reader is reading.
    this.canary = new Canary(Math.floor(this.leaseMs / 2), this.renewMs + this.timeoutMs);
    const { cmd, lua, reader, watch } = connect(this);
    this.cmd = cmd;
    this.lua = lua;
    this.reader = reader;
    this.watch = watch;
    this.listings = new Listings({ cmd, lua, prefix: this.prefix, roomSizes: this.roomSizes, available: () => this.up });
  }

  /**
   * Entries older than this may be trimmed from the stream: keepMs before the last entry
   * read here, so by Redis's clock (stream ids are its time). Behind, it trims less.
   */
  minId(): string {
    const ms = Number(this.lastId.slice(0, this.lastId.indexOf('-')));
    return String(Math.max(0, ms - this.keepMs));
  }

  /** KEY's devices here, the first first. */
  /**
   * Devices of our account KEY are on other servers too (shared): the server is told the
   * first time, since what it says of the account changes (HubEvents.shared).
   */
  share(key: string): void {
    if (!this.local.has(key) || this.shared.has(key)) return;
    this.shared.add(key);
    this.events?.shared?.(this.shown.get(key) ?? key);
  }

  all(key: string): readonly Member[] {
    return this.devices.of(key, this.local.get(key));
  }

  /**
   * KEY is no longer this server's: out of the registry here and out of its rooms, every
   * device of it. Returns its devices, for the caller to tell them.
   */
  forget(key: string): readonly Member[] {
    this.changed();
    const member = this.local.get(key);
    const all = this.all(key);
    if (member !== undefined) this.rooms.leaveAll(member);
    for (const other of this.devices.clear(key)) this.rooms.leaveAll(other);
    this.local.delete(key);
    this.shown.delete(key);
    this.shared.delete(key);
    this.sharable.delete(key);
    return all;
  }

  /**
   * Messages may have been lost for this server's users (WHY): the cluster's stream lost
   * entries. Each is told once, and the operator with it; a second report of the same event
   * (our own check, then another server's `g` entry) within a lease is not told again.
   */
  tellLoss(why: 'trimmed' | 'lost'): void {
    const now = performance.now();
    if (now - this.lossToldAt < this.leaseMs) return;
    this.lossToldAt = now;
    let told = 0;
    for (const key of this.local.keys()) {
      for (const member of this.all(key)) {
        this.events?.lost?.(member);
        told++;
      }
    }
    const users = `told its ${told} ${told === 1 ? 'user' : 'users'}`;
    if (why === 'trimmed') {
      const seconds = Math.round(this.keepMs / 1000);
      this.events?.log(
        `this server was cut off for longer than messages are kept (${seconds} s): its users may have missed some sent meanwhile; ${users}`,
        'error',
      );
    } else {
      this.events?.log(
        `the cluster's stream lost entries this server had read, sent or not yet read (Redis failed over to a replica that was behind, or restarted without its data): ${users} that messages may have been lost`,
        'error',
      );
    }
  }

  /** Something of ours changed: listings are asked for again. */
  changed(): void {
    this.listings.changed();
  }
}
