import type net from 'node:net';
import type { Hub } from '../hub/hub.js';
import { RedisHub, redactUrl, type RedisHubOptions } from '../hub/redis/hub.js';
import { DEFAULT_HOST, DEFAULT_PORT } from '../protocol/defaults.js';
import { bind, tcpServer } from '../transport/tcp.js';
import type { BoundAddress } from '../protocol/host-port.js';
import { TlsListener, type TlsFiles } from '../transport/tls.js';
import { DEFAULT_UDP_HELLO_RATE, DEFAULT_UDP_IDLE_MS, UdpListener } from '../transport/udp.js';
import { DEFAULT_FAILURE_DELAY_MS, FileAccounts } from '../accounts/accounts.js';
import { DEFAULT_THROTTLE, type ThrottleLimits } from '../accounts/login-throttle.js';
import { ChatCore } from '../server/core.js';
import type { CoreOptions } from '../server/options.js';
import { realTimers } from '../protocol/timers.js';
import { MemoryHub } from '../hub/memory-hub.js';
import { lineDialect } from '../dialects/line/dialect.js';
import { MemoryStore } from '../store/memory-store.js';
import { RedisStore } from '../store/redis-store.js';
import type { Store, StoreEvents, StoreLimits } from '../store/store.js';

export interface ChatServerOptions extends Partial<Omit<CoreOptions, 'auth' | 'store'>> {
  /** What the chat remembers; default: in memory, SQLite with `db`, Redis with `redis`. */
  store?: Store | undefined;
  /** History per room, messages kept per account and for how long (docs/running.md, "History"). */
  storeLimits?: Partial<StoreLimits>;
  /** Bytes the in-memory history may hold over all rooms. */
  historyMemory?: number;
  /** Where the store reports failed writes and their latency (a store this server makes). */
  storeEvents?: StoreEvents;
  /** Address to listen on; default 127.0.0.1. */
  host?: string;
  /** Port to listen on; 0 picks a free one. Default 12345. */
  port?: number;
  /** Routes between users; default: in memory, or through Redis when `redis` is set. */
  hub?: Hub;
  /** Join the other servers on this Redis into one chat (docs/cluster.md). */
  redis?: RedisHubOptions | undefined;
  /** A users file (name:hash lines): only its users may register, with their passwords. */
  users?: string | undefined;
  /** Serve TLS with this certificate and key (PEM files) instead of plain TCP. */
  tls?: TlsFiles | undefined;
  /** Also serve UDP on this port (same host); 0 picks a free one. Default: no UDP. */
  udpPort?: number | undefined;
  /** Hello answers a second to unverified UDP addresses, all together; default 100. */
  udpHelloRate?: number;
  /** A UDP user silent this long is closed; default 300 s. */
  udpIdleMs?: number;
  /** Every failed login is answered after this long; default 1 s. */
  authFailureDelayMs?: number;
  throttle?: Partial<ThrottleLimits>;
}

export { DEFAULT_HOST, DEFAULT_PORT };

/**
 * A chat server in-process: what `chat-server` runs, and what tests start on port 0.
 *
 *   const server = new ChatServer({ port: 0 });
 *   const { host, port } = await server.listen();
 *   ...
 *   await server.close();
 *
 * The constructor throws UsersFileError for a users file it cannot use, and listen()
 * rejects for TLS files it cannot use, a port it cannot bind (UdpBindError for the UDP
 * one) or a Redis it cannot reach (RedisUnavailableError).
 */
export class ChatServer {
  readonly core: ChatCore;
  readonly accounts: FileAccounts | undefined;
  readonly #options: ChatServerOptions;
  #server: net.Server | undefined;
  #tls: TlsListener | undefined;
  #udp: UdpListener | undefined;
  #udpAddress: BoundAddress | undefined;

  constructor(options: ChatServerOptions = {}) {
    this.#options = options;
    const {
      host,
      port,
      hub,
      redis,
      users,
      tls: _tls,
      authFailureDelayMs,
      throttle,
      udpPort,
      udpHelloRate,
      udpIdleMs,
      store,
      storeLimits,
      historyMemory,
      storeEvents,
      ...core
    } = options;
    const timers = core.timers ?? realTimers;
    this.accounts =
      users === undefined
        ? undefined
        : new FileAccounts(users, {
            timers,
            failureDelayMs: authFailureDelayMs ?? DEFAULT_FAILURE_DELAY_MS,
            throttle: { ...DEFAULT_THROTTLE, ...throttle },
          });
    if (hub !== undefined && redis !== undefined) throw new Error('give ChatServer either hub or redis, not both');
    const routes = hub ?? (redis ? new RedisHub({ ...redis, accounts: users !== undefined }) : undefined);
    const now = (): number => timers.now();
    // A cluster keeps what it remembers in its Redis, on the hub's connection: one chat, one store.
    const chosen =
      store ??
      (routes instanceof RedisHub
        ? new RedisStore({ redis: routes.connection, prefix: redis?.prefix, limits: storeLimits, now, events: storeEvents })
        : new MemoryStore({ ...storeLimits, historyMemory }, now));
    this.core = new ChatCore({ dialect: lineDialect, ...core, auth: this.accounts, store: chosen }, routes ?? new MemoryHub());
  }

  /** Binds the port; resolves with the address actually bound (the real port for port 0). */
  async listen(): Promise<BoundAddress> {
    const { hub } = this.core;
    // Joined before the port opens: a user never meets a server that is not in the chat yet.
    await hub.start?.();
    if (hub instanceof RedisHub) {
      this.core.options.onEvent({
        type: 'notice',
        message: `joined the chat through Redis at ${redactUrl(hub.url)} as server ${hub.id} (lease ${hub.leaseMs} ms)`,
      });
    }
    const { tls: files } = this.#options;
    let address: BoundAddress;
    try {
      this.#tls = files ? new TlsListener(this.core, files) : undefined;
      const server = this.#tls ? this.#tls.server : tcpServer(this.core);
      address = await bind(server, this.core, this.#options.host ?? DEFAULT_HOST, this.#options.port ?? DEFAULT_PORT);
      this.#server = server;
      await this.#listenUdp();
    } catch (err) {
      const server = this.#server;
      if (server) await new Promise((resolve) => server.close(resolve));
      this.#server = undefined;
      await hub.close();
      throw err;
    }
    this.accounts?.watch(() => this.reloadUsers());
    return address;
  }

  /** Binds the UDP port when asked to (docs/udp.md); rejects with UdpBindError. */
  async #listenUdp(): Promise<void> {
    const { udpPort, udpHelloRate, udpIdleMs, host } = this.#options;
    if (udpPort === undefined) return;
    const udp = new UdpListener(this.core, {
      host: host ?? DEFAULT_HOST,
      port: udpPort,
      helloRate: udpHelloRate ?? DEFAULT_UDP_HELLO_RATE,
      idleMs: udpIdleMs ?? DEFAULT_UDP_IDLE_MS,
    });
    this.#udpAddress = await udp.bind();
    this.#udp = udp;
  }

  /** The UDP address bound, once listen() has resolved; undefined without udpPort. */
  get udpAddress(): BoundAddress | undefined {
    return this.#udpAddress;
  }

  /** The UDP transport, for its count of verified addresses; undefined without udpPort. */
  get udp(): UdpListener | undefined {
    return this.#udp;
  }

  /**
   * Re-reads the users file (dropping users no longer in it) and the TLS certificate, as
   * on SIGHUP. A file that cannot be used keeps what was loaded, and is reported as an error event.
   * The users file is read once it has stopped changing (FileAccounts.requestReload), after listen().
   */
  reload(): void {
    this.accounts?.requestReload();
    const { tls: files } = this.#options;
    if (files && this.#tls) {
      try {
        this.#tls.reload();
        this.core.options.onEvent({ type: 'notice', message: `reloaded the TLS certificate ${files.cert}` });
      } catch (err) {
        this.core.options.onEvent({ type: 'error', message: `${(err as Error).message}; keeping the certificate loaded before` });
      }
    }
  }

  reloadUsers(): void {
    const { accounts } = this;
    if (!accounts) return;
    try {
      const { count, removed } = accounts.reload();
      const gone = removed.length ? `; removed: ${removed.join(', ')}` : '';
      this.core.options.onEvent({ type: 'notice', message: `reloaded ${accounts.file}: ${count} users${gone}` });
      this.core.dropRemovedAccounts();
    } catch (err) {
      this.core.options.onEvent({ type: 'error', message: `${(err as Error).message}; keeping the accounts loaded before` });
    }
  }

  /** Says "* server shutting down" to everyone, and resolves once every socket is closed. */
  async close(): Promise<void> {
    this.accounts?.close();
    this.#tls?.dropHandshakes();
    const server = this.#server;
    const stopped = server ? new Promise<void>((resolve) => server.close(() => resolve())) : Promise.resolve();
    await Promise.all([this.core.close(), stopped]);
    // After the core: the sessions' shutdown notices go out before the socket closes.
    await this.#udp?.close();
  }
}
