import { Redis } from './ioredis.js';
import { COMMAND_TIMEOUT_MS, CONNECT_TIMEOUT_MS, RECONNECT_MAX_MS } from './connection.js';

/**
 * Listens to every sentinel for `+switch-master` and says where the primary MASTER went: so
 * that a connection to a primary that was frozen or demoted is left at once, not after a
 * command timeout.
 *
 * ioredis's own failover detector drops its connection at every `+switch-master`. But each
 * sentinel announces a failover, the leader first and the others as they hear of it (up to
 * two seconds later): the chat, already on the new primary, was cut off again, two and three
 * times a failover. Here a connection is dropped only if it is not on the new primary, and
 * only once that node answers as a primary: a sentinel that heard late of an older failover
 * names a node that is a replica again by now, and is not followed.
 */
export class SentinelWatch {
  readonly #subscribers: Redis[];

  readonly #moved: (host: string, port: number) => void;
  /** The options of the short connection that asks a node its role (#follow): the connections' own, for a password. */
  readonly #nodeOptions: Record<string, unknown>;

  /**
   * SENTINELS as in a Sentinel URL; MOVED gets the new primary's host and port. NODE_OPTIONS:
   * what a connection to a data node needs (user, password).
   */
  constructor(
    sentinels: readonly { host: string; port: number }[],
    master: string,
    nodeOptions: Record<string, unknown>,
    moved: (host: string, port: number) => void,
  ) {
    this.#moved = moved;
    this.#nodeOptions = nodeOptions;
    this.#subscribers = sentinels.map(({ host, port }) => {
      const sub = new Redis({
        host,
        port,
        lazyConnect: true,
        connectionName: 'chat-server:sentinel-watch',
        connectTimeout: CONNECT_TIMEOUT_MS,
        commandTimeout: COMMAND_TIMEOUT_MS,
        maxRetriesPerRequest: 0,
        retryStrategy: (times: number) => Math.min(100 * 2 ** Math.min(times, 5), RECONNECT_MAX_MS),
      });
      // A sentinel that is down is one of several: nothing to report, ioredis retries.
      sub.on('error', () => {});
      sub.on('message', (_channel: string, message: string) => {
        // MASTER OLD-IP OLD-PORT NEW-IP NEW-PORT
        const [name, , , newHost, newPort] = message.split(' ');
        if (name === master && newHost !== undefined && newPort !== undefined) void this.#follow(newHost, Number(newPort));
      });
      return sub;
    });
  }

  /** Subscribes on every sentinel that answers; resolves when each has answered or failed. */
  async start(): Promise<void> {
    await Promise.all(
      this.#subscribers.map(async (sub) => {
        try {
          await sub.connect();
          await sub.subscribe('+switch-master');
        } catch {
          // A sentinel down at start is not listened to: the others are.
        }
      }),
    );
  }

  /** Follows HOST:PORT if it answers as a primary now. */
  async #follow(host: string, port: number): Promise<void> {
    const node = new Redis({
      ...this.#nodeOptions,
      host,
      port,
      lazyConnect: true,
      connectTimeout: COMMAND_TIMEOUT_MS,
      commandTimeout: COMMAND_TIMEOUT_MS,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    node.on('error', () => {});
    try {
      await node.connect();
      const [role] = (await node.call('ROLE')) as [string];
      if (role === 'master') this.#moved(host, port);
    } catch {
      // Not reachable from here: the connections find their way through the sentinels.
    } finally {
      node.disconnect();
    }
  }

  close(): void {
    for (const sub of this.#subscribers) sub.disconnect();
  }
}
