import { lookup } from 'node:dns/promises';
import { Redis } from './ioredis.js';
import { COMMAND_TIMEOUT_MS, CONNECT_TIMEOUT_MS, reconnectDelay } from './connection.js';
import { formatHostPort } from '../protocol/host-port.js';

/**
 * Listens to every sentinel for `+switch-master` and says where the primary MASTER went: so
 * that a connection to a primary that was frozen or demoted is left at once, not after a
 * command timeout.
 *
 * ioredis's own failover detector drops its connection at every `+switch-master`. But each
 * sentinel announces a failover, the leader first and the others as they hear of it (up to
 * two seconds later): the chat, already on the new primary, was cut off again, two and three
 * times a failover. Here a connection is dropped only if it is not on the new primary, and
 * only once that node says it is a primary: a sentinel that heard late of an older failover
 * names a node that is a replica again by now, and is not followed.
 */
export class SentinelWatch {
  readonly #subscribers: Redis[];
  readonly #moved: (addresses: readonly string[], port: number) => void;
  /** What a connection to a data node needs (user, password), for the probe (#follow). */
  readonly #nodeOptions: Record<string, unknown>;
  /** Probes under way, by HOST:PORT: one a node, and closed with the watch. */
  readonly #probes = new Map<string, Redis>();
  readonly #problem: (message: string) => void;
  /** What was told of each sentinel (HOST:PORT REASON): each once, not at every retry. */
  readonly #told = new Set<string>();
  #closed = false;

  /**
   * SENTINELS as in a Sentinel URL. MOVED gets the new primary's addresses (its host, as
   * resolved: a sentinel may announce a name) and port. NODE_OPTIONS: what a connection to
   * a data node needs (user, password). PROBLEM is told, in a sentence for the operator,
   * when a sentinel that is up cannot be listened to (it wants a password, it refuses
   * SUBSCRIBE): without it the watch would be silently deaf to that sentinel.
   */
  constructor(
    sentinels: readonly { host: string; port: number }[],
    master: string,
    nodeOptions: Record<string, unknown>,
    moved: (addresses: readonly string[], port: number) => void,
    problem: (message: string) => void = () => {},
  ) {
    this.#moved = moved;
    this.#nodeOptions = nodeOptions;
    this.#problem = problem;
    this.#subscribers = sentinels.map(({ host, port }) => {
      const sub = new Redis({
        host,
        port,
        lazyConnect: true,
        connectionName: 'chat-server:sentinel-watch',
        disableClientInfo: true,
        connectTimeout: CONNECT_TIMEOUT_MS,
        commandTimeout: COMMAND_TIMEOUT_MS,
        maxRetriesPerRequest: 0,
        retryStrategy: reconnectDelay,
      });
      // A sentinel that is down is one of several: nothing to report, ioredis retries. One
      // that answers with a refusal (a password it wants) is the operator's to mend.
      sub.on('error', (err: Error) => {
        if (err.name === 'ReplyError') this.#refused(host, port, err);
      });
      // Subscribed at every connect: one down at start is listened to once it is up. A
      // refusal is told; a SUBSCRIBE lost otherwise (a timeout, a dropped connection) is
      // tried again on a new connection, not left deaf until the next reconnect.
      sub.on('ready', () => {
        sub.subscribe('+switch-master').catch((err: Error) => {
          if (err.name === 'ReplyError') this.#refused(host, port, err);
          else if (!this.#closed) sub.disconnect(true);
        });
      });
      sub.on('message', (_channel: string, message: string) => {
        // MASTER OLD-IP OLD-PORT NEW-IP NEW-PORT
        const [name, , , newHost, newPort] = message.split(' ');
        if (name === master && newHost !== undefined && newPort !== undefined) void this.#follow(newHost, Number(newPort));
      });
      return sub;
    });
  }

  /** The sentinel at HOST:PORT refused us (ERR): told once for each reason. */
  #refused(host: string, port: number, err: Error): void {
    const why = err.message.replace(/\.$/, '');
    const key = `${formatHostPort(host, port)} ${why}`;
    if (this.#closed || this.#told.has(key)) return;
    this.#told.add(key);
    this.#problem(
      `cannot listen to the sentinel at ${formatHostPort(host, port)} for failovers (${why}): a failover is followed only once the connection to the old primary fails; let the sentinels answer SUBSCRIBE without a password (docs/cluster.md, "Redis with Sentinel")`,
    );
  }

  /** Starts listening; returns at once (a sentinel that never answers must not hold the start). */
  start(): void {
    for (const sub of this.#subscribers) sub.connect().catch(() => {});
  }

  /**
   * Follows HOST:PORT if it says it is a primary now: asked with INFO, which the chat's
   * Redis user may run already (docs/cluster.md, "A production Redis"); ROLE may be refused.
   */
  async #follow(host: string, port: number): Promise<void> {
    const key = `${host}:${port}`;
    if (this.#closed || this.#probes.has(key)) return;
    const node = new Redis({
      ...this.#nodeOptions,
      host,
      port,
      lazyConnect: true,
      disableClientInfo: true,
      enableReadyCheck: false,
      connectTimeout: COMMAND_TIMEOUT_MS,
      commandTimeout: COMMAND_TIMEOUT_MS,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    node.on('error', () => {});
    this.#probes.set(key, node);
    try {
      await node.connect();
      // A replica named (a sentinel late with an older failover) is not looked up, nor followed.
      if (!/^role:master\r?$/m.test(await node.info('replication')) || this.#closed) return;
      const addresses = (await lookup(host, { all: true })).map((a) => a.address);
      if (!this.#closed) this.#moved(addresses, port);
    } catch {
      // Not reachable from here: the connections find their way through the sentinels.
    } finally {
      this.#probes.delete(key);
      node.disconnect();
    }
  }

  close(): void {
    this.#closed = true;
    for (const sub of this.#subscribers) sub.disconnect();
    for (const probe of this.#probes.values()) probe.disconnect();
    this.#probes.clear();
  }
}
