import type net from 'node:net';
import { hostname } from 'node:os';
import { ircDialectOf } from './irc.js';
import type { Dialect } from '../server/dialect.js';
import type { Hub } from '../hub/hub.js';
import { RedisHub, redactUrl, type RedisHubOptions } from '../hub/redis/hub.js';
import { DEFAULT_HOST, DEFAULT_PORT } from '../protocol/defaults.js';
import { bind, tcpServer } from '../transport/tcp.js';
import type { BoundAddress } from '../protocol/host-port.js';
import { TlsListener, type TlsFiles } from '../transport/tls.js';
import { DEFAULT_UDP_HELLO_RATE, DEFAULT_UDP_IDLE_MS, UdpListener } from '../transport/udp.js';
import { WebListener } from '../transport/web.js';
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
  /** Also serve the IRC dialect (docs/irc.md) on this port (same host); 0 picks a free one. Default: no IRC. */
  ircPort?: number | undefined;
  /** IRC over TLS on this port, with `tls`'s certificate. */
  ircTlsPort?: number | undefined;
  /** The server's name in IRC replies; default: the machine's host name. */
  serverName?: string | undefined;
  /** The web page and IRC over WebSocket (docs/web.md) on this port (same host; HTTPS with `tls`); 0 picks a free one. Default: none. */
  webPort?: number | undefined;
  /** Origins whose pages may open a WebSocket here (--web-origin); their hosts are names the web port answers to. */
  webOrigins?: readonly string[] | undefined;
  /** Reverse proxies whose X-Forwarded-For, -Host and -Proto the web port believes (--trusted-proxy). */
  trustedProxies?: readonly string[] | undefined;
  /** Every failed login is answered after this long; default 1 s. */
  authFailureDelayMs?: number;
  throttle?: Partial<ThrottleLimits>;
}

export { DEFAULT_HOST, DEFAULT_PORT };

/** An IRC port that could not be bound: which one (OPTION), and why. */
export class IrcBindError extends Error {
  constructor(
    readonly error: NodeJS.ErrnoException,
    readonly host: string,
    readonly port: number,
    readonly option: string,
  ) {
    super(error.message);
    this.name = 'IrcBindError';
  }
}

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
  /** The IRC listeners (plain, TLS) and what they bound. */
  #irc: net.Server[] = [];
  #ircTls: TlsListener | undefined;
  #ircAddress: BoundAddress | undefined;
  #ircTlsAddress: BoundAddress | undefined;
  #web: WebListener | undefined;
  #webAddress: BoundAddress | undefined;

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
      ircPort: _ircPort,
      ircTlsPort: _ircTlsPort,
      serverName: _serverName,
      webPort: _webPort,
      webOrigins: _webOrigins,
      trustedProxies: _trustedProxies,
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
      await this.#listenIrc();
      await this.#listenWeb();
    } catch (err) {
      for (const server of [this.#server, ...this.#irc, this.#web?.server]) if (server?.listening) await new Promise((resolve) => server.close(resolve));
      this.#server = undefined;
      this.#irc = [];
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

  /** Binds the IRC ports when asked to (docs/irc.md). */
  async #listenIrc(): Promise<void> {
    const { ircPort, ircTlsPort, host, tls: files } = this.#options;
    if (ircPort === undefined && ircTlsPort === undefined) return;
    const dialect = this.ircDialect();
    const where = host ?? DEFAULT_HOST;
    const bound = (server: net.Server, port: number, option: string): Promise<BoundAddress> =>
      bind(server, this.core, where, port).catch((err: NodeJS.ErrnoException) => {
        throw new IrcBindError(err, where, port, option);
      });
    if (ircPort !== undefined) {
      const server = tcpServer(this.core, dialect);
      this.#irc.push(server);
      this.#ircAddress = await bound(server, ircPort, '--irc-port');
    }
    if (ircTlsPort !== undefined) {
      if (files === undefined) throw new Error('IRC over TLS needs a certificate: give --tls-cert and --tls-key');
      this.#ircTls = new TlsListener(this.core, files, dialect);
      this.#irc.push(this.#ircTls.server);
      this.#ircTlsAddress = await bound(this.#ircTls.server, ircTlsPort, '--irc-tls-port');
    }
  }

  /** Binds the web port when asked to (docs/web.md): the page, and IRC over WebSocket. */
  async #listenWeb(): Promise<void> {
    const { webPort, host, tls: files, webOrigins, trustedProxies } = this.#options;
    if (webPort === undefined) return;
    const where = host ?? DEFAULT_HOST;
    this.#web = new WebListener(this.core, this.ircDialect(), { tls: files, origins: webOrigins, trustedProxies });
    this.#webAddress = await bind(this.#web.server, this.core, where, webPort).catch((err: NodeJS.ErrnoException) => {
      throw new IrcBindError(err, where, webPort, '--web-port');
    });
  }

  /** The web address bound (HTTP, or HTTPS with a certificate), once listen() has resolved; undefined without webPort. */
  get webAddress(): BoundAddress | undefined {
    return this.#webAddress;
  }

  /** The IRC dialect of this server (docs/irc.md): one, whose users WHO and WHOIS know. */
  #ircDialect: Dialect | undefined;

  ircDialect(): Dialect {
    this.#ircDialect ??= ircDialectOf(this.core, this.accounts, this.#options.serverName ?? hostname());
    return this.#ircDialect;
  }

  /** The IRC addresses bound, once listen() has resolved; undefined without them. */
  get ircAddress(): BoundAddress | undefined {
    return this.#ircAddress;
  }

  get ircTlsAddress(): BoundAddress | undefined {
    return this.#ircTlsAddress;
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
    if (files && (this.#tls || this.#ircTls || this.#web)) {
      try {
        this.#tls?.reload();
        this.#ircTls?.reload();
        this.#web?.reload();
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
      this.core.dropRemovedAccounts(removed);
    } catch (err) {
      this.core.options.onEvent({ type: 'error', message: `${(err as Error).message}; keeping the accounts loaded before` });
    }
  }

  /** Says "* server shutting down" to everyone, and resolves once every socket is closed. */
  async close(): Promise<void> {
    this.accounts?.close();
    this.#tls?.dropHandshakes();
    this.#ircTls?.dropHandshakes();
    this.#web?.dropPending();
    const servers = [this.#server, ...this.#irc, this.#web?.server].filter((s): s is net.Server => s !== undefined);
    const stopped = Promise.all(servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve()))));
    await Promise.all([this.core.close(), stopped]);
    // After the core: the sessions' shutdown notices go out before the socket closes.
    await this.#udp?.close();
  }
}
