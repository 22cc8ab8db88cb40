import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { Redis } from '../redis/ioredis.js';
import { isValidName, nameKey } from '../protocol/names.js';
import { byteLength, decodeEntry, entryOf, FIELD, joinFrames, NAMES_FIELD, removalBody, roomHeader, userHeader, type Received } from './cluster-message.js';
import { compareIds, Holders } from './holders.js';
import { LOBBY, type Claim, type Delivery, type Hub, type HubEvents, type HubLink, type Join, type Member, type Removal, type RoomCount, type RoomListing } from './hub.js';
import { RoomTable } from './rooms.js';
import { compareNames, namesByRoom, sortNames } from '../protocol/name-order.js';
import { MOVE, REENTER, ROOM_LIST, ROOM_NAMES, VACATE } from './redis-room-scripts.js';
import { BATCH, CLAIM, LEAVE, RELEASE, SYNC, TICK } from './redis-scripts.js';
import { CONNECT_TIMEOUT_MS, COMMAND_TIMEOUT_MS, connectionOptions, databaseOf, RECONNECT_MAX_MS, redactUrl } from '../redis/connection.js';

export { redactUrl } from '../redis/connection.js';

export interface RedisHubOptions {
  /** redis://[[USER]:PASSWORD@]HOST[:PORT][/DB], or rediss:// for TLS. */
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
}

/** A server that does not agree with the chat it would join (RedisHubOptions.accounts): said as it is. */
export class ClusterMismatchError extends Error {}

export const DEFAULT_LEASE_MS = 5000;
/** Entries a read of the stream takes at most. */
const READ_COUNT = 1000;
/** The messages of one turn go in one entry up to this many bytes (see #queue). */
const BATCH_MAX_BYTES = 256 * 1024;
/**
 * Messages in one entry at most: the script looks up their users with one HMGET, and gets
 * their keys as arguments it unpacks (Lua unpacks at most about 8,000).
 */
const BATCH_MAX_MESSAGES = 1000;
/** After a read that found entries, the next one waits this long (see #read). */
const READ_PAUSE_MS = 1;
const FIELD_BYTE = FIELD.charCodeAt(0);
const NAMES_BYTE = NAMES_FIELD.charCodeAt(0);
/** /who, /rooms, or /who ROOM for the room key KEY. */
type Listing = 'names' | 'rooms' | `room:${string}`;

/**
 * How long a /who, /rooms or /who ROOM answer from Redis is used again: reading and sorting 10,000
 * names takes tens of milliseconds, which a flood of listings must not multiply.
 */
const LISTING_CACHE_MS = 1000;

/** A message of the turn's batch (RedisHub.#batch). */
interface Queued {
  key: number;
  done: ((answer: Delivery) => void) | undefined;
  from: Member | undefined;
  to: string;
}

/**
 * A connection commands can go on. A connection we closed after a stall (the stream reader)
 * stays 'ready' until Redis, stopped, answers the close: its stream is already ended, and a
 * command on it fails at once ("Stream isn't writeable"). Counted ready, it let a renewal
 * rejoin the chat before the reader was back, and the outage was logged twice.
 */
function usable(conn: Redis): boolean {
  return conn.status === 'ready' && conn.stream?.writable === true;
}

/** Our scripts, as calls (scriptCalls). */
interface Scripts {
  chatClaim(...args: (string | Buffer)[]): Promise<[number, string?]>;
  chatRelease(...args: string[]): Promise<number>;
  chatBatch(...args: (string | Buffer)[]): Promise<string>;
  chatTick(...args: string[]): Promise<[number, number, string[]]>;
  chatSync(...args: string[]): Promise<[string[], string[], string[], number, string]>;
  chatLeave(...args: string[]): Promise<number>;
  chatMove(...args: string[]): Promise<[string, string, number] | number>;
  chatVacate(...args: string[]): Promise<string[]>;
  chatReenter(...args: string[]): Promise<number>;
  chatRoomNames(...args: string[]): Promise<string[]>;
  chatRoomList(...args: string[]): Promise<(string | number)[]>;
}

/**
 * SCRIPTS (name: Lua) as calls that send the whole script every time (EVAL), not by its
 * SHA1 as ioredis's defineCommand does. Redis keeps a script compiled by its SHA1 either way;
 * but one it has lost (SCRIPT FLUSH, a failover) ioredis sends again only once the first
 * answer comes, and every command written meanwhile goes in before it: a RELEASE sent
 * again after the CLAIM of the same name made after it freed the new holder's name. Sent
 * whole, our commands reach Redis in the order they are made, always.
 */
function scriptCalls(redis: Redis, scripts: Record<keyof Scripts, string>): Scripts {
  const calls: Record<string, (...args: (string | Buffer)[]) => Promise<unknown>> = {};
  for (const [name, lua] of Object.entries(scripts)) calls[name] = (...args) => redis.eval(lua, 0, ...args);
  return calls as unknown as Scripts;
}

/** SERVERID, NAME pairs (TICK's answer) grouped by server. */
function byServer(pairs: string[]): Map<string, string[]> {
  const groups = new Map<string, string[]>();
  for (let i = 0; i + 1 < pairs.length; i += 2) {
    const server = pairs[i]!;
    const names = groups.get(server) ?? [];
    names.push(pairs[i + 1]!);
    groups.set(server, names);
  }
  return groups;
}

/** The next step for a Redis that could not be used, by what went wrong. */
function whatToDo(why: string, url: string): string {
  if (/certificate|self.signed|SSL|TLS/i.test(why)) {
    return "check the certificate, or trust Redis's CA with NODE_EXTRA_CA_CERTS=FILE";
  }
  if (/WRONGPASS|NOAUTH|NOPERM|invalid password|invalid username/i.test(why)) {
    return 'check the user, password and permissions in the Redis URL';
  }
  if (/DB index/i.test(why)) return 'choose a database this Redis has (see its "databases" setting)';
  if (url.startsWith('rediss:') && /ETIMEDOUT|ECONNRESET|socket disconnected/i.test(why)) {
    return 'check that Redis serves TLS on that port, or use redis:// for plain TCP';
  }
  return START_REDIS;
}

const START_REDIS = 'start redis-server or check --redis';


/** Thrown by start() when Redis cannot be reached: the message says what to check. */
export class RedisUnavailableError extends Error {}


/**
 * Several servers, one chat, through Redis: names live in a Redis hash with the id of the
 * server that holds them; every message between servers goes into one Redis stream, which
 * each server reads from the last entry it has seen, so that one cut off for a moment
 * delivers what it missed once it is back. A server renews a lease on all its names at once;
 * when it dies, another frees its names once the lease is out. While Redis is unreachable,
 * users of the same server go on talking; what needs the cluster is answered at once with
 * an error, and the names are reclaimed when Redis is back (docs/cluster.md).
 */
export class RedisHub implements Hub {
  /** Unique to this process's run: a restarted server never takes an old run's names for its own. */
  readonly id = `${hostname().replace(/[^A-Za-z0-9._-]/g, '_')}-${process.pid}-${randomBytes(3).toString('hex')}`;
  readonly url: string;
  readonly leaseMs: number;
  readonly #accounts: boolean;
  readonly #prefix: string;
  /** The stream of messages between servers (cluster-message.ts). */
  readonly #stream: string;
  readonly #db: number | undefined;
  /** How long a command may go unanswered before Redis counts as stalled. */
  readonly #timeoutMs: number;
  /** The lease is renewed this often: a third of it, so that two renewals may be late. */
  readonly #renewMs: number;
  /**
   * How long the stream keeps an entry, by Redis's clock: a server cut off for up to a lease
   * (then counted as dead) finds what it missed, with room for its reconnecting.
   */
  readonly #keepMs: number;
  readonly #cmd: Redis;
  /** Our scripts, on #cmd. */
  readonly #lua: Scripts;
  /** Reads the stream, blocking: a connection of its own, so that commands never wait behind a read. */
  readonly #reader: Redis;
  /** This server's members by name key. */
  readonly #local = new Map<string, Member>();
  /** Their names as registered: a member's own name changes only once a rename is answered. */
  readonly #shown = new Map<string, string>();
  /** This server's members by room: room messages are delivered from here, by every server. */
  readonly #rooms = new RoomTable();
  /** Users per room key over the whole chat, as last heard from Redis (for announceMax). */
  readonly #roomSizes = new Map<string, number>();
  /** The last /who and /rooms answers from Redis, and when they were asked for (see #cached). */
  readonly #listings = new Map<Listing, { at: number; answer: Promise<unknown> }>();
  /** Names being claimed in Redis: no other member of ours may take them meanwhile. */
  readonly #claiming = new Map<string, { member: Member; name: string }>();
  #events: HubEvents | undefined;
  /** Names in the whole chat, as of the last answer from Redis. */
  #size = 0;
  /** Both connections are up and Redis holds our names: cluster operations may go ahead. */
  #up = false;
  /** Woken once we are up again (or closed): the reader waits on it. */
  #upWaiters: (() => void)[] = [];
  #starting: Promise<void> | undefined;
  #started = false;
  #closed = false;
  /** A release failed while we were up: Redis may hold a name nobody has. */
  #needsSync = false;
  /**
   * Claims whose answer never came: Redis may have done them. The next sync removes them,
   * without announcing as gone a user nobody saw join.
   */
  readonly #doubtful = new Set<string>();
  /**
   * Names a newer login here took back from a member of ours that had already lost them to
   * a login on another server: that server's eviction, still on its way, is for the member
   * gone, not for the one holding the name now.
   */
  readonly #evictionsDue = new Set<string>();
  /** The id of the last entry of the stream read here: reading goes on after it. */
  #lastId = '0-0';
  /** Redis's data as we know it (SYNC): another one means Redis lost it, stream and all. */
  #epoch: string | undefined;
  /** Where other servers' users are, as last heard from Redis. */
  readonly #holders: Holders;
  /**
   * Room and direct messages of this event-loop turn, in the order they were sent, added to
   * the stream as one entry (#flush): each with the index of its user in #keys (-1 for a
   * room) and either its answer to give or, answered at once, its sender and addressee (see
   * #lost); the frames (cluster-message.ts); and the name keys the user frames are for, each
   * once and in the order first named.
   */
  #batch: Queued[] = [];
  #frames: (Buffer | string)[] = [];
  #keys = new Map<string, number>();
  #batchBytes = 0;
  /** Batches sent and not answered yet: while one is, the next grows (see #add). */
  #sending = 0;
  /** The reader's last read took all it could: it is behind the stream (see Holders.lagging). */
  #behind = false;
  #syncing: Promise<void> | undefined;
  #tick: NodeJS.Timeout | undefined;
  #reading: Promise<void> | undefined;
  #lastError = '';
  /** The failures logged during this outage: each new reason once, not every retry. */
  readonly #logged = new Set<string>();

  constructor(options: RedisHubOptions) {
    this.url = options.url;
    this.leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
    this.#prefix = options.prefix ?? 'chat:';
    this.#accounts = options.accounts ?? false;
    this.#stream = `${this.#prefix}stream`;
    this.#db = databaseOf(this.url);
    const common = connectionOptions(`chat-server:${this.id}`);
    // A Redis that accepts and never answers must not hold a user's line forever.
    this.#timeoutMs = Math.min(COMMAND_TIMEOUT_MS, this.leaseMs);
    this.#renewMs = Math.max(50, Math.floor(this.leaseMs / 3));
    this.#keepMs = 2 * this.leaseMs + CONNECT_TIMEOUT_MS + 2 * RECONNECT_MAX_MS;
    this.#holders = new Holders(this.id);
    // Not auto-pipelined (ioredis's default): the hub batches a turn's messages into one
    // command itself, and auto-pipelining put each command in a Pipeline of its own, written
    // a loop iteration later (setImmediate). Written at once, the cluster row carried 13 %
    // more messages a second in alternating rounds, 16 to 34 % with every message crossing.
    // Commands reach Redis in the order they are made (our scripts go whole: scriptCalls).
    this.#cmd = new Redis(this.url, { ...common, commandTimeout: this.#timeoutMs });
    // A read blocks up to a renewal interval, then comes back empty: one that takes longer
    // than that and the timeout is a silent connection (a NAT that forgot it), made again.
    this.#reader = new Redis(this.url, { ...common, commandTimeout: this.#renewMs + this.#timeoutMs });
    const scripts = {
      chatClaim: CLAIM,
      chatRelease: RELEASE,
      chatBatch: BATCH,
      chatTick: TICK,
      chatSync: SYNC,
      chatLeave: LEAVE,
      chatMove: MOVE,
      chatVacate: VACATE,
      chatReenter: REENTER,
      chatRoomNames: ROOM_NAMES,
      chatRoomList: ROOM_LIST,
    };
    this.#lua = scriptCalls(this.#cmd, scripts);
    for (const conn of [this.#cmd, this.#reader]) {
      // ioredis reports every failed reconnect as an error: remembered for the outage log line.
      conn.on('error', (err: Error) => this.#failed(err.message));
      conn.on('close', () => this.#down());
      conn.on('ready', () => {
        this.#maybeUp();
        this.#wakeReader();
      });
    }
  }

  /** The command connection, for a store to share (RedisStore): it never blocks. */
  get connection(): Redis {
    return this.#cmd;
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
      if (this.#db === undefined) throw new Error(`the database in ${redactUrl(this.url)} must be a number`);
      await Promise.all([this.#cmd.connect(), this.#reader.connect()]);
      // ioredis only reports a failed SELECT as an error event and goes on in database 0,
      // where this chat would share names with another: a database Redis lacks stops us here.
      await Promise.all([this.#cmd.select(this.#db), this.#reader.select(this.#db)]);
      // Nothing before our start is for us: reading starts at the stream's end.
      const [last] = await this.#cmd.xrevrange(this.#stream, '+', '-', 'COUNT', 1);
      this.#lastId = last?.[0] ?? '0-0';
      await this.#agree();
      await this.#sync();
    } catch (err) {
      this.#cmd.disconnect();
      this.#reader.disconnect();
      if (err instanceof ClusterMismatchError) throw err;
      const why = (this.#lastError || (err as Error).message).replace(/\.$/, '');
      throw new RedisUnavailableError(`cannot use Redis at ${redactUrl(this.url)}: ${why}; ${whatToDo(why, this.url)}`);
    }
    this.#started = true;
    this.#up = true;
    this.#lastError = '';
    this.#tick = setInterval(() => void this.#renew(), this.#renewMs);
    this.#tick.unref();
    this.#reading = this.#read();
  }

  get size(): number {
    return Math.max(this.#size, this.#local.size);
  }

  /** What this server says of itself in P accounts (#agree): every sync writes it, after a FLUSHALL too. */
  get #mode(): 'accounts' | 'open' {
    return this.#accounts ? 'accounts' : 'open';
  }

  /**
   * Refuses to join a chat whose servers check passwords when this one does not, or the
   * other way round, naming the difference; #sync then says how this one runs. (Two
   * servers that start in the same moment both pass: the check is for a server started
   * wrongly later. A server of an older release says nothing, and is not checked.)
   */
  async #agree(): Promise<void> {
    const mine = this.#mode;
    const key = `${this.#prefix}accounts`;
    const servers = await this.#cmd.smembers(`${this.#prefix}servers`);
    const others = servers.filter((id) => id !== this.id);
    const theirs = others.length === 0 ? [] : await this.#cmd.hmget(key, ...others);
    const differs = theirs.find((mode) => mode !== null && mode !== mine);
    if (differs !== undefined) {
      const them = differs === 'accounts' ? 'with accounts (--users)' : 'without accounts';
      const me = mine === 'accounts' ? 'with --users' : 'without --users';
      const fix = mine === 'accounts' ? 'start it without --users, as they run' : 'start it with --users and the same users file';
      throw new ClusterMismatchError(
        `cannot join the chat at ${redactUrl(this.url)}: its servers run ${them} and this one ${me}; ${fix}, or use another Redis database`,
      );
    }
  }

  attach(events: HubEvents): void {
    this.#events = events;
  }

  claim(name: string, member: Member, takeOver = false): Claim | Promise<Claim> {
    return this.#claim(member, name, undefined, takeOver);
  }

  rename(member: Member, oldName: string, newName: string, takeOver = false): Claim | Promise<Claim> {
    return this.#claim(member, newName, oldName, takeOver);
  }

  #claim(member: Member, name: string, oldName: string | undefined, takeOver: boolean): Claim | Promise<Claim> {
    const key = nameKey(name);
    const claimant = this.#claiming.get(key)?.member;
    const holder = this.#local.get(key);
    // One claim of a name at a time here, a takeover too: the second is answered `taken`.
    if (claimant !== undefined && claimant !== member) return 'taken';
    if (holder !== undefined && holder !== member && !takeOver) return 'taken';
    if (!this.#up) return 'unavailable';
    this.#claiming.set(key, { member, name });
    const oldKey = oldName === undefined ? '' : nameKey(oldName);
    // The eviction CLAIM may add goes behind the room messages sent before it.
    this.#flush();
    const claimed = this.#lua.chatClaim(this.#prefix, this.id, key, name, oldKey, takeOver ? '1' : '0', this.#minId());
    // The room entry is sent right behind the claim, in the same round trip: it takes effect
    // only if the claim did (MOVE checks that we hold the name). A rename keeps the room.
    // After a takeover MOVE finds the old holder's entry under the same name, and answers
    // the room it leaves: the one to tell that the old holder left.
    const room = oldName === undefined ? LOBBY : (this.#rooms.roomOf(member) ?? LOBBY);
    const moved = this.#lua.chatMove(this.#prefix, this.id, key, name, nameKey(room), room, '0', oldKey).then(
      (answer) => {
        if (!Array.isArray(answer)) return undefined;
        this.#roomSizes.set(nameKey(answer[0]), answer[2]);
        return answer[1] === '' ? undefined : answer[1];
      },
      () => {
        this.#needsSync = true; // the sync after an outage writes every room entry again
        return undefined;
      },
    );
    return claimed
      .then(async ([answer, took = '']): Promise<Claim> => {
        const leftRoom = await moved;
        if (answer === -1) return 'taken';
        if (answer === -2 || answer === -3) {
          // -3: Redis restarted empty a moment ago, and names wait until every server has
          // reclaimed its own. -2: we were counted as dead, and rejoin before taking new names.
          // A sync running meanwhile may have written this name for us: the next removes it.
          this.#doubt(key);
          if (answer === -2) void this.#resync();
          return 'unavailable';
        }
        this.#size = answer;
        if (oldName !== undefined && this.#local.get(oldKey) === member) {
          this.#local.delete(oldKey);
          this.#shown.delete(oldKey);
          this.#rooms.rename(member, oldName, name);
        }
        // TOOK: a user of another server held it; that server is told (CLAIM adds the eviction to the stream).
        let tookOver = took === '' ? undefined : took;
        // Its room: the one MOVE left, or none left because it is the room we enter.
        let tookRoom = tookOver === undefined ? undefined : (leftRoom ?? room);
        const local = this.#local.get(key);
        if (local !== undefined && local !== member) {
          tookOver ??= this.#shown.get(key) ?? name;
          tookRoom ??= this.#rooms.roomOf(local);
          // Both: ours had lost it to that user already, and its eviction is on its way.
          if (took !== '') this.#evictionsDue.add(key);
          this.#forget(key);
          this.#events?.evicted(local, 'logged in elsewhere');
        }
        // Before the newcomer is a member, and before its "joined": everywhere, in this order.
        if (tookOver !== undefined && tookRoom !== undefined) {
          const left = this.#events?.presence(tookRoom, [tookOver], 'left', 'elsewhere');
          if (left) void this.toRoom(tookRoom, left, member);
        }
        if (oldName === undefined) this.#rooms.enter(member, name, LOBBY);
        this.#local.set(key, member);
        this.#shown.set(key, name);
        this.#changed();
        return 'claimed';
      })
      .catch((): Claim => {
        // Timed out or cut off: Redis may have done the claim all the same.
        this.#doubt(key);
        return 'unavailable';
      })
      .finally(() => {
        if (this.#claiming.get(key)?.member === member) this.#claiming.delete(key);
      });
  }

  /** Redis may hold KEY for us, for nobody: the next sync removes it, without a "left". */
  #doubt(key: string): void {
    this.#needsSync = true;
    this.#doubtful.add(key);
  }

  release(name: string, member: Member): void {
    const key = nameKey(name);
    if (this.#local.get(key) !== member) return;
    this.#forget(key);
    this.#size = Math.max(0, this.#size - 1);
    // Down: the sync after the outage drops the names nobody has any more.
    if (!this.#up) return;
    this.#lua.chatRelease(this.#prefix, this.id, key, this.#minId()).then(
      (size) => (this.#size = size),
      () => (this.#needsSync = true),
    );
    // Behind the release on the same connection, so it finds the name free.
    this.#lua.chatVacate(this.#prefix, key).catch(() => (this.#needsSync = true));
  }

  /** KEY is no longer this server's: out of the registry here and out of its room. */
  #forget(key: string): void {
    this.#changed();
    const member = this.#local.get(key);
    const shown = this.#shown.get(key);
    if (member !== undefined && shown !== undefined) this.#rooms.leave(member, shown);
    this.#local.delete(key);
    this.#shown.delete(key);
  }

  lookup(name: string): Member | undefined {
    return this.#local.get(nameKey(name));
  }

  /** Like a direct message: through the stream to the server holding NAME, which disconnects its user. */
  remove(name: string, removal: Removal): Delivery | Promise<Delivery> {
    const key = nameKey(name);
    const member = this.#local.get(key);
    if (member !== undefined) {
      this.#events?.removed(member, removal);
      return 'delivered';
    }
    // No such name can be held; and a key of ours never holds the space that parts an entry's header line.
    if (!isValidName(name)) return 'no such user';
    if (!this.#up) return 'unavailable';
    const body = removalBody(removal);
    const size = byteLength(body);
    return this.#queue(userHeader('~', key, size), body, size, key);
  }

  direct(to: string, bytes: Buffer | string, from?: Member): Delivery | Promise<Delivery> {
    const key = nameKey(to);
    const member = this.#local.get(key);
    // A user of this server is reached without Redis, even while it is down.
    if (member !== undefined) {
      member.deliver(bytes);
      return 'delivered';
    }
    if (!isValidName(to)) return 'no such user';
    if (!this.#up) return 'unavailable';
    const size = byteLength(bytes);
    const header = userHeader('@', key, size);
    // A user whose server we know: answered now, as on one server (holders.ts).
    if (this.#holders.get(key) !== undefined) {
      this.#add({ key: this.#keyAt(key), done: undefined, from, to }, header, bytes, size);
      return 'delivered';
    }
    // Into the stream even while the recipient's server is cut off: it reads it once back.
    return this.#queue(header, bytes, size, key);
  }

  toRoom(room: string, bytes: Buffer | string, except: Member | undefined, notice = false): 'unavailable' | Promise<'delivered' | 'unavailable'> {
    this.#rooms.deliver(room, bytes, except, notice);
    return this.#publish(room, bytes);
  }

  elsewhere(room: string, bytes: Buffer | string | undefined): void {
    if (bytes) void this.#publish(room, bytes);
  }

  join(member: Member, room: string, maxRooms: number): Join | Promise<Join> {
    const current = this.#rooms.roomOf(member);
    const name = member.name;
    if (current === undefined || name === undefined) return 'unavailable';
    if (nameKey(current) === nameKey(room)) return { room: current, from: undefined };
    if (!this.#up) return 'unavailable';
    const key = nameKey(name);
    return this.#lua.chatMove(this.#prefix, this.id, key, name, nameKey(room), room, String(maxRooms), '').then(
      (answer): Join => {
        if (answer === -1) return 'full';
        if (!Array.isArray(answer)) return 'unavailable'; // -2: our name is not ours in Redis; the sync repairs it
        const [shown, , count] = answer;
        this.#roomSizes.set(nameKey(shown), count);
        // Left meanwhile (the connection closed while Redis answered): VACATE will follow.
        if (this.#local.get(key) !== member) return 'unavailable';
        this.#rooms.leave(member, name);
        this.#rooms.enter(member, name, shown);
        this.#changed();
        return { room: shown, from: current };
      },
      (): Join => {
        // Timed out: Redis may have moved us. The sync writes every room entry again.
        this.#needsSync = true;
        return 'unavailable';
      },
    );
  }

  roomOf(member: Member): string | undefined {
    return this.#rooms.roomOf(member);
  }

  roomSize(room: string): number {
    return Math.max(this.#roomSizes.get(nameKey(room)) ?? 0, this.#rooms.size(room));
  }

  roomNames(room: string): Promise<RoomListing | undefined> | undefined {
    return this.#cached(`room:${nameKey(room)}`, () =>
      this.#lua.chatRoomNames(this.#prefix, nameKey(room)).then(([shown, ...names]): RoomListing => {
        if (shown === undefined) return 'no such room';
        this.#roomSizes.set(nameKey(shown), names.length);
        return { room: shown, names: sortNames(names) };
      }),
    );
  }

  rooms(): Promise<readonly RoomCount[] | undefined> | undefined {
    return this.#cached('rooms', () =>
      this.#lua.chatRoomList(this.#prefix).then((flat) => {
        const list: RoomCount[] = [];
        for (let i = 0; i + 1 < flat.length; i += 2) list.push({ name: String(flat[i]), count: Number(flat[i + 1]) });
        for (const r of list) this.#roomSizes.set(nameKey(r.name), r.count);
        return list.sort((a, b) => compareNames(a.name, b.name));
      }),
    );
  }

  /**
   * The users of a dead server, told to everyone in their rooms but that server: were it
   * only stalled, its users are still connected to it, and it must not tell them they left.
   */
  async #announceGone(server: string, names: string[]): Promise<void> {
    for (const [room, inRoom] of await this.#vacate(names)) {
      const bytes = this.#events?.presence(room, inRoom, 'left', 'server-lost');
      if (!bytes) continue;
      this.#rooms.deliver(room, bytes, undefined);
      void this.#publish(room, bytes, server);
    }
  }

  /** Takes NAMES, which nobody holds any more, out of their rooms: their names by room. */
  async #vacate(names: string[]): Promise<Map<string, string[]>> {
    let flat: string[] = [];
    try {
      if (names.length > 0) flat = await this.#lua.chatVacate(this.#prefix, ...names.map(nameKey));
    } catch {
      this.#needsSync = true;
    }
    const pairs: [string, string][] = [];
    for (let i = 0; i + 1 < flat.length; i += 2) pairs.push([flat[i + 1]!, flat[i]!]);
    return namesByRoom(pairs);
  }

  /**
   * Adds a room message to the stream, with the others of this event-loop turn: one entry,
   * one command, however many messages the turn had (#flush).
   */
  #publish(room: string, bytes: Buffer | string, skip = ''): 'unavailable' | Promise<'delivered' | 'unavailable'> {
    if (!this.#up) return 'unavailable';
    const size = byteLength(bytes);
    return this.#queue(roomHeader(nameKey(room), size, skip), bytes, size) as Promise<'delivered' | 'unavailable'>;
  }

  /**
   * Adds a frame to this turn's batch (see #batch), for a user KEY or (without KEY) a room;
   * its answer comes once the batch is in. SIZE is BODY's byteLength, counted once by the
   * caller for the header too: for a string, each count is a call into C++ (and a flattening).
   */
  #queue(header: string, body: Buffer | string, size: number, key?: string): Promise<Delivery> {
    return new Promise((done) => {
      this.#add({ key: key === undefined ? -1 : this.#keyAt(key), done, from: undefined, to: '' }, header, body, size);
    });
  }

  /** KEY's index in this turn's #keys, added if new. */
  #keyAt(key: string): number {
    let at = this.#keys.get(key);
    if (at === undefined) {
      at = this.#keys.size;
      this.#keys.set(key, at);
      // The entry's first line names the user's server: an id about as long as ours.
      this.#batchBytes += key.length + this.id.length + 2;
    }
    return at;
  }

  #add(queued: Queued, header: string, body: Buffer | string, size: number): void {
    // Bytes, not characters: 1360 CJK characters are 4 KB on the wire.
    this.#batchBytes += header.length + size;
    this.#batch.push(queued);
    this.#frames.push(header, body);
    // A turn of many long lines goes in several entries: no entry, nor read, grows without end.
    if (this.#batchBytes >= BATCH_MAX_BYTES || this.#batch.length >= BATCH_MAX_MESSAGES) this.#flush();
    else if (this.#batch.length === 1 && this.#sending === 0) setImmediate(() => this.#flush());
  }

  /**
   * A batch was answered. While one is on its way, the turns after it add to the next
   * instead of sending one each (#add): under load an entry holds what came during a round
   * trip to Redis, however short the turns, and idle nothing waits. Sent now if it waits.
   */
  #sent(): void {
    if (--this.#sending === 0 && this.#batch.length > 0) this.#flush();
  }

  /** Sends the room messages waiting (#publish): before anything else that adds to the stream, to keep their order. */
  #flush(): void {
    const batch = this.#batch;
    if (batch.length === 0) return;
    const frames = this.#frames;
    const keys = this.#keys;
    this.#batch = [];
    this.#frames = [];
    this.#keys = new Map();
    this.#batchBytes = 0;
    if (!this.#up) return this.#lost(batch);
    // A room message makes the entry one for every server, whoever else it names.
    const forAll = batch.some(({ key }) => key < 0);
    const servers = forAll ? undefined : this.#holders.serversOf(keys.keys());
    if (servers !== undefined) {
      // Every user's server is known: the entry goes in as it is, with no lookup.
      const entry = entryOf(this.id, keys.keys(), servers, frames);
      const added = this.#cmd.xadd(this.#stream, 'MINID', '~', this.#minId(), '*', FIELD, entry);
      return this.#send(batch, added, (id) => {
        this.#added(id ?? '-');
        for (const { done } of batch) done?.('delivered');
      });
    }
    const args = [this.#prefix, this.id, this.#minId(), joinFrames(frames), String(batch.length), forAll ? '1' : '0', ...keys.keys()];
    const generation = this.#holders.generation;
    this.#send(batch, this.#lua.chatBatch(...args), (answer) => {
      // Not in the chat (Redis emptied, our lease gone): "no such user" would be a guess.
      // The senders are told, and the next tick rejoins.
      if (answer === '!') {
        this.#needsSync = true;
        return this.#lost(batch);
      }
      // The entry's id, then each user's server or '-' (BATCH).
      const [entryId = '-', ...held] = answer.split(' ');
      this.#added(entryId);
      let i = 0;
      for (const key of keys.keys()) {
        const server = held[i++];
        if (server === '-') this.#holders.forget(key);
        else if (server !== undefined) this.#holders.learn(key, server, entryId, generation);
      }
      for (const { key, done } of batch) done?.(key < 0 || (held[key] ?? '-') !== '-' ? 'delivered' : 'no such user');
    });
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
      .catch((err: Error) => this.#events?.log(`could not finish sending messages to the stream: ${err.message}`, 'error'));
  }

  /** We added the entry ENTRYID ('-': none): a reader far behind it may have missed changes (Holders.lagging). */
  #added(entryId: string): void {
    if (entryId !== '-' && this.#behind) this.#holders.lagging(entryId, this.#lastId, this.#keepMs);
  }

  /**
   * A batch that did not reach Redis: its answers are `unavailable`, and the senders of
   * messages already answered (#holders) are told, once for each addressee: the message may
   * not have arrived (Redis may have added it before the connection was lost).
   */
  #lost(batch: Queued[]): void {
    const told = new Map<Member, Set<string>>();
    for (const { done, from, to } of batch) {
      done?.('unavailable');
      if (from === undefined) continue;
      const names = told.get(from) ?? new Set<string>();
      if (names.has(to)) continue;
      told.set(from, names.add(to));
      this.#events?.undelivered?.(from, to);
    }
  }

  /**
   * Entries older than this may be trimmed from the stream: #keepMs before the last entry
   * read here, so by Redis's clock (stream ids are its time). Behind, it trims less.
   */
  #minId(): string {
    const ms = Number(this.#lastId.slice(0, this.#lastId.indexOf('-')));
    return String(Math.max(0, ms - this.#keepMs));
  }

  /**
   * Everyone online, from Redis at most once a second: reading and sorting 10,000 names
   * takes tens of milliseconds, which a /who flood from many connections must not multiply.
   * Our own users' changes are seen at once; other servers' within a second.
   */
  names(): Promise<readonly string[] | undefined> | undefined {
    return this.#cached('names', () =>
      this.#cmd.hvals(`${this.#prefix}names`).then((entries) => sortNames(entries.map((entry) => entry.slice(entry.indexOf(' ') + 1)))),
    );
  }

  /**
   * A listing from Redis, asked for at most once a LISTING_CACHE_MS: undefined while Redis
   * is away. Our own changes clear the cache (#changed), so our users see them at once.
   */
  #cached<T>(which: Listing, fetch: () => Promise<T>): Promise<T | undefined> | undefined {
    if (!this.#up) return undefined;
    const cached = this.#listings.get(which);
    if (cached !== undefined && Date.now() - cached.at < LISTING_CACHE_MS) return cached.answer as Promise<T | undefined>;
    const answer = fetch().catch(() => {
      this.#listings.delete(which);
      return undefined;
    });
    this.#listings.set(which, { at: Date.now(), answer });
    return answer;
  }

  /** Something of ours changed: listings are asked for again. */
  #changed(): void {
    this.#listings.clear();
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#tick);
    this.#flush();
    this.#wakeReader();
    await this.#syncing;
    if (this.#up) {
      // Our users leave now, not when the lease runs out.
      try {
        await this.#lua.chatLeave(this.#prefix, this.id, this.#minId());
      } catch {
        // Redis went away as we left: the lease frees the names.
      }
    }
    this.#up = false;
    // The reader may be blocked in a read: no QUIT would be answered before it ends.
    this.#reader.disconnect();
    await this.#cmd.quit().catch(() => {});
    this.#cmd.disconnect();
    await this.#reading;
  }

  /**
   * Reads the stream, from the entry after the last one read, for as long as we are in the
   * chat. While we are not (an outage, a sync under way) it waits: after the sync, reading
   * goes on where it stopped, so what was sent meanwhile is delivered, once.
   */
  async #read(): Promise<void> {
    while (!this.#closed) {
      if (!this.#up || !usable(this.#reader)) {
        await new Promise<void>((resolve) => this.#upWaiters.push(resolve));
        continue;
      }
      let reply: [Buffer, [Buffer, Buffer[]][]][] | null;
      try {
        reply = (await this.#reader.xreadBuffer('COUNT', READ_COUNT, 'BLOCK', this.#renewMs, 'STREAMS', this.#stream, this.#lastId)) as typeof reply;
      } catch (err) {
        if (this.#closed) return;
        const why = (err as Error).message;
        // No answer: a stall, or a silent network: we count Redis as lost ourselves and make
        // the connection again. Closed: its close event has said so. Refused (an ACL): lost too.
        if (/timed out/i.test(why)) {
          this.#down('no answer on the stream connection');
          this.#reader.disconnect(true);
        } else if (usable(this.#reader)) {
          this.#down(why);
        }
        continue;
      }
      const entries = reply?.[0]?.[1] ?? [];
      this.#behind = entries.length >= READ_COUNT;
      for (const [id, fields] of entries) {
        this.#lastId = id.toString('latin1');
        // Another program's entry (not our one field) is skipped, as is one we cannot read whole.
        if (fields.length !== 2 || fields[0]!.length !== 1) continue;
        if (fields[0]![0] === NAMES_BYTE) {
          this.#holders.changed(this.#lastId, fields[1]!.toString('latin1').split(' '));
          continue;
        }
        if (fields[0]![0] !== FIELD_BYTE) continue;
        for (const message of decodeEntry(fields[1]!, this.id) ?? []) {
          try {
            this.#receive(message);
          } catch (err) {
            // A bug in delivering one message must not stop the reading of all the others.
            this.#events?.log(`could not deliver a message from the stream: ${(err as Error).message}`, 'error');
          }
        }
      }
      // Busy (the last read found entries): the next waits a millisecond, and so takes many
      // at once rather than one read per entry. Idle, a read waits in Redis, and an entry
      // added is delivered at once.
      if (entries.length > 0) await new Promise((resolve) => setTimeout(resolve, READ_PAUSE_MS));
    }
  }

  #wakeReader(): void {
    for (const wake of this.#upWaiters.splice(0)) wake();
  }

  /** A message from another server for this one (decodeEntry has left out the rest). */
  #receive(m: Received): void {
    switch (m.kind) {
      case 'room':
        return this.#rooms.deliver(m.room, m.body, undefined);
      // Gone meanwhile: a direct message is delivered at most once, maybe not at all.
      case 'direct':
        return this.#local.get(m.to)?.deliver(m.text);
      case 'evict':
        return this.#evict(m.key);
      case 'remove': {
        const member = this.#local.get(m.key);
        if (member !== undefined) this.#events?.removed(member, m.removal);
        return;
      }
    }
  }

  /** A newer login of the account, on another server, took KEY from our member. */
  #evict(key: string): void {
    if (this.#evictionsDue.delete(key)) return;
    const member = this.#local.get(key);
    if (member === undefined) return;
    // Redis holds the name for the newcomer's server already: nothing to release there.
    this.#forget(key);
    this.#events?.evicted(member, 'logged in elsewhere');
  }

  /** Renews the lease and frees the names of dead servers, every lease/3. */
  async #renew(): Promise<void> {
    if (this.#syncing || this.#closed) return;
    // Connected again but not back in the chat (a sync that failed): try again.
    if (!this.#up) return this.#maybeUp();
    try {
      const [member, size, freed] = await this.#lua.chatTick(this.#prefix, this.id, String(this.leaseMs), String(this.#renewMs), this.#minId());
      this.#size = size;
      for (const [server, names] of byServer(freed)) {
        this.#events?.log(`server ${server} stopped answering: freed ${names.length === 1 ? 'its name' : `its ${names.length} names`}`, 'notice');
        void this.#announceGone(server, names);
      }
      // Not in the chat (Redis lost its data, or we stalled past our lease): rejoin.
      if (member === 0 || this.#needsSync) await this.#resync();
    } catch (err) {
      // A closed connection has reported it already; a Redis that stopped answering (a
      // stall, a silent network) has not: from now on we answer at once, not after a timeout.
      this.#down((err as Error).message);
    }
  }

  /**
   * ioredis could not (re)connect. While down, a reason the operator can act on (a refused
   * password, a certificate) is logged once; "connection refused" at every retry is not news.
   */
  #failed(message: string): void {
    this.#lastError = message;
    const why = message.replace(/\.$/, '');
    const todo = whatToDo(why, this.url);
    if (this.#up || !this.#started || this.#closed || todo === START_REDIS || this.#logged.has(why)) return;
    this.#logged.add(why);
    this.#events?.log(`still cut off from Redis at ${redactUrl(this.url)}: ${why}; ${todo}`, 'error');
  }

  #down(reason = this.#lastError): void {
    if (!this.#up || this.#closed) return;
    this.#up = false;
    // Changes of names may be missed meanwhile: every user is looked up again once back.
    this.#holders.clear();
    // An eviction due may have been lost with the connection: it must not swallow a later one.
    this.#evictionsDue.clear();
    this.#logged.clear();
    this.#events?.log(
      `lost Redis at ${redactUrl(this.url)}${reason ? ` (${reason})` : ''}: ` +
        `serving this server's users only until it is back`,
      'error',
    );
  }

  /** Both connections are up again: rejoin the chat (also retried every tick until it works). */
  #maybeUp(): void {
    if (!this.#started || this.#up || this.#closed) return;
    if (!usable(this.#cmd) || !usable(this.#reader)) return;
    void this.#resync();
  }

  /** Rejoins after an outage: reclaims our users' names and tells who could not keep theirs. */
  #resync(): Promise<void> {
    if (this.#syncing) return this.#syncing;
    if (this.#closed) return Promise.resolve();
    const doubtful = new Set(this.#doubtful);
    this.#doubtful.clear();
    // Claims under way announce their own "joined" if they succeed.
    const claiming = new Set(this.#claiming.keys());
    this.#syncing = this.#sync()
      .then(async ({ lost, back, stale, emptied }) => {
        if (this.#closed) return;
        const wasDown = !this.#up;
        const readTo = this.#lastId;
        this.#up = true;
        this.#wakeReader();
        this.#lastError = '';
        for (const key of lost) {
          const member = this.#local.get(key);
          const shown = this.#shown.get(key) ?? key;
          const room = member === undefined ? undefined : this.#rooms.roomOf(member);
          this.#forget(key);
          if (member === undefined || room === undefined) continue;
          // Told here only: elsewhere the name is in use, by its new holder.
          const left = this.#events?.presence(room, [shown], 'left', 'name-taken');
          if (left) this.#rooms.deliver(room, left, undefined);
          this.#events?.evicted(member, 'taken during an outage');
        }
        // Where our users are, written again: Redis may have lost it, or freed them as ours.
        await this.#reenter();
        // Our users saw these leave, and never saw those go: only the other servers' users are told.
        const left = stale.filter((name) => !doubtful.has(nameKey(name)));
        for (const [room, names] of await this.#vacate(left)) this.elsewhere(room, this.#events?.presence(room, names, 'left'));
        const returned = back.filter((name) => this.#local.has(nameKey(name)) && !claiming.has(nameKey(name)));
        for (const [room, names] of this.#byRoom(returned)) this.elsewhere(room, this.#events?.presence(room, names, 'joined'));
        if (wasDown) await this.#missedSince(readTo);
        if (wasDown || emptied) {
          const kept = this.#local.size;
          const lostNote = lost.length > 0 ? `; ${lost.length} taken meanwhile on other servers` : '';
          // Emptied without an outage: a FLUSHALL, or a restart quicker than a reconnect.
          const what = wasDown ? 'Redis is back' : 'Redis had lost its data (emptied, or restarted without it)';
          this.#events?.log(`${what}: ${kept} ${kept === 1 ? 'name' : 'names'} reclaimed${lostNote}`, 'notice');
        }
      })
      .catch(() => {
        // Down again, or timed out: the next ready event or tick tries again. (A SYNC that
        // timed out may still run; what it would have announced is lost, as docs/cluster.md says of
        // presence across outages.)
        this.#needsSync = true;
        for (const key of doubtful) this.#doubtful.add(key);
      })
      .finally(() => (this.#syncing = undefined));
    return this.#syncing;
  }

  /**
   * Whether entries after LASTID may have been trimmed before we could read them: we were
   * cut off for longer than the stream keeps them (#keepMs). The stream is trimmed from its
   * oldest end, so while the entry at LASTID is there, nothing after it is gone. Logged,
   * since our users may have missed messages.
   */
  async #missedSince(lastId: string): Promise<void> {
    if (lastId === '0-0') return;
    try {
      const [still, [first]] = await Promise.all([
        this.#cmd.xrange(this.#stream, lastId, lastId),
        this.#cmd.xrange(this.#stream, '-', '+', 'COUNT', 1),
      ]);
      if (still.length > 0 || first === undefined || compareIds(first[0], lastId) <= 0) return;
    } catch {
      return; // down again: the next return looks again
    }
    const seconds = Math.round(this.#keepMs / 1000);
    this.#events?.log(
      `this server was cut off for longer than messages are kept (${seconds} s): its users may have missed some sent meanwhile`,
      'error',
    );
  }

  /** Writes again which room each of our users is in. */
  async #reenter(): Promise<void> {
    const groups = [...this.#local].flatMap(([key, member]) => {
      const room = this.#rooms.roomOf(member);
      const shown = this.#shown.get(key);
      return room === undefined || shown === undefined ? [] : [key, shown, nameKey(room), room];
    });
    if (groups.length > 0) await this.#lua.chatReenter(this.#prefix, this.id, ...groups);
  }

  /** Names of our users, grouped by their rooms, sorted. */
  #byRoom(names: string[]): Map<string, string[]> {
    return namesByRoom(
      names.flatMap((name) => {
        const member = this.#local.get(nameKey(name));
        const room = member === undefined ? undefined : this.#rooms.roomOf(member);
        return room === undefined ? [] : [[room, name] as const];
      }),
    );
  }

  async #sync(): Promise<{ lost: string[]; back: string[]; stale: string[]; emptied: boolean }> {
    // Names being claimed too: a claim Redis has done must not be dropped as stale.
    const pairs = [
      ...[...this.#shown].flatMap(([key, name]) => [key, name]),
      ...[...this.#claiming].flatMap(([key, { name }]) => [key, name]),
    ];
    this.#needsSync = false;
    // Not our first sync, and Redis has lost its data (a restart): new names wait until
    // every server has had time to reconnect (a connect timeout and a wait between
    // attempts) and reclaim its users' names.
    const settleMs = this.leaseMs + CONNECT_TIMEOUT_MS + 2 * RECONNECT_MAX_MS;
    const args = [this.#prefix, this.id, String(this.leaseMs), this.#started ? '1' : '0', String(settleMs), String(this.#renewMs)];
    const [lost, back, stale, size, epoch] = await this.#lua.chatSync(...args, randomBytes(8).toString('hex'), this.#minId(), ...pairs);
    this.#size = size;
    // Lost with the rest when Redis is emptied, or removed with our lease: said again.
    await this.#cmd.hset(`${this.#prefix}accounts`, this.id, this.#mode);
    // Redis lost its data (a restart without persistence): the stream began again, its ids
    // from Redis's clock, which need not be past the last id we read. All of it is new to us.
    const emptied = this.#epoch !== undefined && epoch !== this.#epoch;
    if (emptied) {
      this.#lastId = '0-0';
      this.#holders.restart();
    } else {
      // Names taken while we were away (SYNC's lost) moved without a word to us.
      this.#holders.clear();
    }
    this.#epoch = epoch;
    return { lost, back, stale, emptied };
  }

  /** For the operator's health check and metrics: this hub is its own link. */
  get link(): HubLink {
    return this;
  }

  /** For the operator (/healthz, metrics): in the chat through Redis, not cut off from it. */
  get connected(): boolean {
    return this.#up;
  }

  /** Times one PING on the command connection, in ms (metrics); rejects while Redis does not answer. */
  async roundTrip(): Promise<number> {
    const start = performance.now();
    await this.#cmd.ping();
    return performance.now() - start;
  }
}
