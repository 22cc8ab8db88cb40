import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { HubLink } from '../hub/hub.js';
import { REFUSAL_LABELS, REFUSALS } from '../protocol/codes.js';
import { redactUrl } from '../redis/connection.js';
import type { ChatCore } from '../server/core.js';
import type { ServerEvent } from '../server/events.js';

/** How often the Redis round trip is measured. */
export const DEFAULT_PING_MS = 5000;

const TRANSPORTS: readonly string[] = ['tcp', 'tls', 'udp', 'web'];
const MODERATION = ['kick', 'ban', 'unban'] as const;
/** Seconds: a PING or a store write past a second is an outage, not a latency. */
const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

/** What the metrics read: a ChatServer is one. */
export interface Watched {
  readonly core: ChatCore;
}

export interface MetricsOptions {
  /** How often to time a PING to Redis (clustered servers only); default 5 s. */
  pingMs?: number;
}

/**
 * The operator's figures for Prometheus (docs/operations.md), in a registry of their own.
 * Nothing here runs per message: the core counts in plain numbers (core.stats) and the
 * figures are read from it, and from the sessions, when scraped. Only events (a connection,
 * a refusal, a leave) are counted as they come, through the onEvent wrapper.
 */
export class ChatMetrics {
  readonly registry = new Registry();
  readonly #pingMs: number;
  #core: ChatCore | undefined;
  #ping: NodeJS.Timeout | undefined;
  #pinging = false;
  readonly #accepted: Counter<string>;
  readonly #refused: Counter<'reason'>;
  readonly #sendqCutoffs: Counter<string>;
  readonly #failedLogins: Counter<string>;
  readonly #moderation: Counter<'action'>;
  #redisRoundTrip: Histogram<string> | undefined;
  readonly #storeWrite: Histogram<string>;

  constructor(options: MetricsOptions = {}) {
    this.#pingMs = options.pingMs ?? DEFAULT_PING_MS;
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    // Read when scraped: `self` is the ChatMetrics, `this` prom-client's metric.
    const self = this;
    new Gauge({
      name: 'chat_connections',
      help: 'Connections open, by transport (TLS ones once their handshake is done).',
      labelNames: ['transport'],
      registers,
      collect() {
        const open = new Map<string, number>(TRANSPORTS.map((t) => [t, 0]));
        for (const s of self.#core?.sessions ?? []) {
          const transport = s.address.transport ?? 'tcp';
          open.set(transport, (open.get(transport) ?? 0) + 1);
        }
        for (const [transport, n] of open) this.set({ transport }, n);
      },
    });
    new Gauge({
      name: 'chat_users_online',
      help: 'Registered users connected to this server.',
      registers,
      collect() {
        let n = 0;
        for (const s of self.#core?.sessions ?? []) if (s.name !== undefined) n++;
        this.set(n);
      },
    });
    new Gauge({
      name: 'chat_cluster_users',
      help: 'Names in use in the whole chat (all servers of a cluster), as last known.',
      registers,
      collect() {
        this.set(self.#core?.hub.size ?? 0);
      },
    });
    new Gauge({
      name: 'chat_rooms',
      help: 'Rooms with at least one user on this server.',
      registers,
      collect() {
        const core = self.#core;
        const rooms = new Set<string>();
        for (const s of core?.sessions ?? []) {
          if (s.name === undefined) continue;
          for (const room of core?.hub.roomsOf(s) ?? []) rooms.add(room.toLowerCase());
        }
        this.set(rooms.size);
      },
    });
    new Counter({
      name: 'chat_messages_total',
      help: 'Messages routed: room (one per message, not per recipient), direct (delivered to a user online), kept (for an account offline).',
      labelNames: ['kind'],
      registers,
      collect() {
        const stats = self.#core?.stats;
        this.reset();
        this.inc({ kind: 'room' }, stats?.roomMessages ?? 0);
        this.inc({ kind: 'direct' }, stats?.directMessages ?? 0);
        this.inc({ kind: 'kept' }, stats?.keptMessages ?? 0);
      },
    });
    const fromStats = (name: string, help: string, read: (stats: ChatCore['stats']) => number): void => {
      new Counter({
        name,
        help,
        registers,
        collect() {
          this.reset();
          const stats = self.#core?.stats;
          this.inc(stats ? read(stats) : 0);
        },
      });
    };
    fromStats('chat_kept_delivered_total', 'Kept messages written to their addressee at login.', (s) => s.keptDelivered);
    fromStats('chat_received_bytes_total', 'Bytes read from connections.', (s) => s.bytesIn);
    fromStats('chat_sent_bytes_total', 'Bytes queued to connections.', (s) => s.bytesOut);
    fromStats('chat_flood_pauses_total', "Times a connection's input waited for flood control (--rate, --burst).", (s) => s.floodPauses);
    this.#accepted = new Counter({ name: 'chat_connections_accepted_total', help: 'Connections taken by the core.', registers });
    this.#refused = new Counter({
      name: 'chat_lines_refused_total',
      help: 'Lines and connections refused, by reason (a fixed set of labels, one for each refusal code).',
      labelNames: ['reason'],
      registers,
    });
    for (const reason of REFUSAL_LABELS) this.#refused.inc({ reason }, 0);
    this.#sendqCutoffs = new Counter({
      name: 'chat_send_queue_cutoffs_total',
      help: 'Connections cut off for not reading what was sent to them (--max-sendq).',
      registers,
    });
    this.#failedLogins = new Counter({ name: 'chat_failed_logins_total', help: 'Logins refused for a wrong password or an unknown account.', registers });
    this.#moderation = new Counter({
      name: 'chat_moderation_actions_total',
      help: "Operators' kicks, bans and unbans.",
      labelNames: ['action'],
      registers,
    });
    for (const action of MODERATION) this.#moderation.inc({ action }, 0);
    this.#storeWrite = new Histogram({
      name: 'chat_store_write_seconds',
      help: 'How long a group of writes to the store (history, kept messages, bans) took.',
      buckets: LATENCY_BUCKETS,
      registers,
    });
  }

  /** Reads SERVER's figures from now on; starts timing Redis when it is clustered. */
  watch(server: Watched): void {
    this.#core = server.core;
    const { link } = server.core.hub;
    if (link !== undefined && this.#ping === undefined) {
      const registers = [this.registry];
      // Only for a clustered server: a 0 would read as "cut off" on one that has no Redis.
      new Gauge({
        name: 'chat_redis_connected',
        help: 'Whether this server is in the chat through Redis (1) or cut off from it (0).',
        registers,
        collect() {
          this.set(link.connected ? 1 : 0);
        },
      });
      this.#redisRoundTrip = new Histogram({
        name: 'chat_redis_ping_seconds',
        help: `Round trip of a PING to Redis, timed every ${this.#pingMs / 1000} s.`,
        buckets: LATENCY_BUCKETS,
        registers,
      });
      // The round trip of this server's canary through the stream (hub/redis/canary.ts).
      const delivery = new Histogram({
        name: 'chat_cluster_delivery_seconds',
        help: 'Round trip of an entry this server put in the cluster stream and read back, once every third of the lease.',
        buckets: LATENCY_BUCKETS,
        registers,
      });
      link.onDelivery?.((ms) => delivery.observe(ms / 1000));
      void this.#timeRedis(link);
      this.#ping = setInterval(() => void this.#timeRedis(link), this.#pingMs);
      this.#ping.unref();
    }
  }

  async #timeRedis(hub: HubLink): Promise<void> {
    // A PING that hangs (a stalled Redis) must not pile up others behind it.
    if (this.#pinging || !hub.connected) return;
    this.#pinging = true;
    try {
      this.#redisRoundTrip?.observe((await hub.roundTrip()) / 1000);
    } catch {
      // No answer: chat_redis_connected and the hub's own log line tell it.
    } finally {
      this.#pinging = false;
    }
  }

  /** Counts the events that are not plain counters in the core, then hands each to NEXT (the log). */
  onEvent(next: (event: ServerEvent) => void = () => {}): (event: ServerEvent) => void {
    return (event) => {
      this.count(event);
      next(event);
    };
  }

  count(event: ServerEvent): void {
    switch (event.type) {
      case 'connect':
        this.#accepted.inc();
        break;
      case 'reject': {
        this.#refused.inc({ reason: REFUSALS[event.code].label });
        if (event.code === 'auth-failed') this.#failedLogins.inc();
        break;
      }
      case 'leave':
        if (event.code === 'send-queue-exceeded') this.#sendqCutoffs.inc();
        break;
      case 'moderation':
        this.#moderation.inc({ action: event.action });
        break;
    }
  }

  /** A store's write group took MS milliseconds (StoreEvents.onWrite). */
  observeStoreWrite(ms: number): void {
    this.#storeWrite.observe(ms / 1000);
  }

  /** Why the server is not healthy, in one line; undefined when it is. */
  problem(): string | undefined {
    const link = this.#core?.hub.link;
    if (link !== undefined && !link.connected) return `cut off from Redis at ${redactUrl(link.url)}: serving this server's users only`;
    return link?.deliveryProblem?.();
  }

  /** Stops timing Redis. */
  close(): void {
    clearInterval(this.#ping);
    this.#ping = undefined;
  }
}
