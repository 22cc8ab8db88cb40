import type { Redis } from '../../redis/ioredis.js';
import { connectionOptions, openRedis, redactUrl, redisTarget } from '../../redis/connection.js';
import { SentinelWatch } from '../../redis/sentinel-watch.js';
import { formatHostPort } from '../../protocol/host-port.js';
import { scriptCalls } from './calls.js';
import type { Connections, HubState } from './state.js';

/** Thrown by start() when Redis cannot be reached: the message says what to check. */
export class RedisUnavailableError extends Error {}

/** A server that does not agree with the chat it would join (RedisHubOptions.accounts): said as it is. */
export class ClusterMismatchError extends Error {}

/**
 * A connection commands can go on. A connection we closed after a stall (the stream reader)
 * stays 'ready' until Redis, stopped, answers the close: its stream is already ended, and a
 * command on it fails at once ("Stream isn't writeable"). Counted ready, it let a renewal
 * rejoin the chat before the reader was back, and the outage was logged twice.
 */
export function usable(conn: Redis): boolean {
  return conn.status === 'ready' && conn.stream?.writable === true;
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

/** The user and password of ioredis OPTIONS, for another connection to the same nodes. */
function credentials(options: Record<string, unknown>): Record<string, unknown> {
  const { username, password } = options;
  return { ...(username === undefined ? {} : { username }), ...(password === undefined ? {} : { password }) };
}

/** The hub's two connections to Redis at S.url (not connected yet: see Link.open), and our scripts on the first. */
export function connections(s: Pick<HubState, 'id' | 'url' | 'timeoutMs' | 'renewMs' | 'events' | 'dropReason'>): Connections {
  const common = connectionOptions(`chat-server:${s.id}`);
  // Not auto-pipelined (ioredis's default): the hub batches a turn's messages into one
  // command itself, and auto-pipelining put each command in a Pipeline of its own, written
  // a loop iteration later (setImmediate). Written at once, the cluster row carried 13 %
  // more messages a second in alternating rounds, 16 to 34 % with every message crossing.
  // Commands reach Redis in the order they are made (our scripts go whole: scriptCalls).
  const cmd = openRedis(s.url, { ...common, commandTimeout: s.timeoutMs });
  // A read blocks up to a renewal interval, then comes back empty: one that takes longer
  // than that and the timeout is a silent connection (a NAT that forgot it), made again.
  const reader = openRedis(s.url, { ...common, commandTimeout: s.renewMs + s.timeoutMs });
  const target = redisTarget(s.url);
  const sentinels = target?.sentinel ? (target.options['sentinels'] as { host: string; port: number }[]) : undefined;
  // A connection not on the new primary is made again: ioredis asks the sentinels where it is.
  const watch =
    sentinels === undefined
      ? undefined
      : new SentinelWatch(
          sentinels,
          target!.options['name'] as string,
          credentials(target!.options),
          (addresses, port) => leaveOldPrimary([cmd, reader], addresses, port, s),
          (message) => s.events?.log(message, 'error'),
        );
  return { cmd, lua: scriptCalls(cmd), reader, watch };
}

/**
 * Whether CONN holds to where the sentinels said the primary was: up there, in its ready
 * check (`connect`), or opening its socket there (`connecting` with a socket connecting).
 * Not while it is still asking the sentinels (`connecting`, its last socket closed): dropped
 * then, ioredis ends it for good when the answer comes ("Connection is closed"), and the
 * answer it gets is either the new primary or from a sentinel whose own announcement is
 * still to come.
 */
function placed(conn: { readonly status: string; readonly stream?: { connecting?: boolean } | undefined }): boolean {
  return conn.status === 'ready' || conn.status === 'connect' || (conn.status === 'connecting' && conn.stream?.connecting === true);
}

/**
 * The primary is now at ADDRESSES (its host's), PORT: of CONNS, one that is up, or on its way
 * (placed), somewhere else is made again (ioredis asks the sentinels where to). On its way
 * counts: a connection that reached a frozen primary before the failover waits there in its
 * ready check (two command timeouts at most), and an old primary thawed meanwhile answers
 * that it is a primary until the sentinels make it a replica, seconds later: the server
 * would write to a node whose data is about to be thrown away, a loss told only as far as
 * the "lost" entry reaches (docs/cluster.md). One waiting to reconnect goes at once. S's
 * dropReason says why, for the outage's log line (Link.down): ioredis's last error is older.
 */
export function leaveOldPrimary(
  conns: readonly {
    readonly status: string;
    readonly stream?: { remoteAddress?: string | undefined; remotePort?: number | undefined; connecting?: boolean } | undefined;
    disconnect(reconnect: boolean): void;
    connect(): Promise<unknown>;
  }[],
  addresses: readonly string[],
  port: number,
  s: Pick<HubState, 'dropReason'>,
): void {
  for (const conn of conns) {
    // Waiting out its backoff (up to RECONNECT_MAX_MS) since the old primary went: there is
    // a primary again, so it goes now. The timer's own try then finds it connecting, and
    // ioredis drops that try.
    if (conn.status === 'reconnecting') {
      conn.connect().catch(() => {});
      continue;
    }
    const stream = conn.stream;
    const at = stream?.remoteAddress?.replace(/^::ffff:/, '');
    if (!placed(conn) || (at !== undefined && addresses.includes(at) && stream?.remotePort === port)) continue;
    s.dropReason = `Sentinel moved the primary to ${formatHostPort(addresses[0] ?? '?', port)}`;
    conn.disconnect(true);
  }
}

/**
 * The connections' ups and downs: opening and shutting them, counting Redis as lost (down),
 * what the operator is told meanwhile, and waking whoever waits for Redis to be back.
 */
export class Link {
  readonly #s: HubState;
  /** What ioredis last reported going wrong: said when Redis is lost or cannot be used. */
  lastError = '';
  /** The failures logged during this outage: each new reason once, not every retry. */
  readonly #logged = new Set<string>();
  /** Woken once we are up again (or closed): the reader waits on it. */
  #upWaiters: (() => void)[] = [];

  /** READY: a connection is (again) ready. */
  constructor(s: HubState, ready: () => void) {
    this.#s = s;
    for (const conn of [s.cmd, s.reader]) {
      // ioredis reports every failed reconnect as an error: remembered for the outage log line.
      conn.on('error', (err: Error) => this.#failed(err.message));
      conn.on('close', () => this.down());
      conn.on('ready', ready);
    }
  }

  /** Connects both connections to the database the URL names; rejects when Redis cannot be used. */
  async open(): Promise<void> {
    const { cmd, reader, db } = this.#s;
    if (db === undefined) throw new Error(`the database in ${redactUrl(this.#s.url)} must be a number`);
    this.#s.watch?.start();
    await Promise.all([cmd.connect(), reader.connect()]);
    // ioredis only reports a failed SELECT as an error event and goes on in database 0,
    // where this chat would share names with another: a database Redis lacks stops us here.
    await Promise.all([cmd.select(db), reader.select(db)]);
  }

  /** Start failed (ERR): both connections are dropped, and this is the error to throw. */
  refused(err: unknown): Error {
    this.#s.cmd.disconnect();
    this.#s.reader.disconnect();
    this.#s.watch?.close();
    if (err instanceof ClusterMismatchError) return err;
    const why = (this.lastError || (err as Error).message).replace(/\.$/, '');
    return new RedisUnavailableError(`cannot use Redis at ${redactUrl(this.#s.url)}: ${why}; ${whatToDo(why, this.#s.url)}`);
  }

  /** Closes both connections, once the hub has left the chat. */
  async shut(): Promise<void> {
    // The reader may be blocked in a read: no QUIT would be answered before it ends.
    this.#s.reader.disconnect();
    this.#s.watch?.close();
    await this.#s.cmd.quit().catch(() => {});
    this.#s.cmd.disconnect();
  }

  /**
   * ioredis could not (re)connect. While down, a reason the operator can act on (a refused
   * password, a certificate) is logged once; "connection refused" at every retry is not news.
   */
  #failed(message: string): void {
    const s = this.#s;
    this.lastError = message;
    const why = message.replace(/\.$/, '');
    const todo = whatToDo(why, s.url);
    if (s.up || !s.started || s.closed || todo === START_REDIS || this.#logged.has(why)) return;
    this.#logged.add(why);
    s.events?.log(`still cut off from Redis at ${redactUrl(s.url)}: ${why}; ${todo}`, 'error');
  }

  /** Redis is lost, for REASON: by default why we dropped the connections ourselves (HubState.dropReason), else ioredis's last error. */
  down(reason?: string): void {
    const s = this.#s;
    const why = reason ?? s.dropReason ?? this.lastError;
    s.dropReason = undefined;
    if (!s.up || s.closed) return;
    s.up = false;
    s.readAtOutage = s.readMax;
    // Canaries written before are not waited for: the way back starts reading afresh.
    s.canary.reset();
    // Changes of names may be missed meanwhile: every user is looked up again once back.
    s.holders.clear();
    // An eviction due may have been lost with the connection: it must not swallow a later one.
    s.evictionsDue.clear();
    this.#logged.clear();
    s.events?.log(`lost Redis at ${redactUrl(s.url)}${why ? ` (${why})` : ''}: serving this server's users only until it is back`, 'error');
  }

  /** Resolves once we are up again, or closed (wakeReader). */
  untilUp(): Promise<void> {
    return new Promise<void>((resolve) => this.#upWaiters.push(resolve));
  }

  wakeReader(): void {
    for (const wake of this.#upWaiters.splice(0)) wake();
  }

  /** Where the command connection is connected ("HOST:PORT"): through Sentinel, the primary it found. */
  get address(): string | undefined {
    const stream = this.#s.cmd.stream;
    return stream?.remoteAddress === undefined ? undefined : `${stream.remoteAddress}:${stream.remotePort}`;
  }

  /** Times one PING on the command connection, in ms (metrics); rejects while Redis does not answer. */
  async roundTrip(): Promise<number> {
    const start = performance.now();
    await this.#s.cmd.ping();
    return performance.now() - start;
  }
}
