/** What the benchmark asks of one load-generator process, and what it answers (one JSON line). */

export type Scenario = 'dm' | 'room' | 'connect' | 'idle';

/**
 * How the clients talk: chat-server's line protocol (`#name`, `@to:text`, the floor's too),
 * IRC (`NICK`/`USER`, `PRIVMSG to :text`, CRLF), for chat-server's --irc-port, or the same
 * IRC over WebSocket (subprotocol text.ircv3.net, one line a message), for its --web-port.
 */
export type Dialect = 'line' | 'irc' | 'web';

export interface LoadConfig {
  scenario: Scenario;
  /** The protocol the clients speak (default line); irc and web: dm, connect and idle only. */
  dialect?: Dialect;
  /** Servers of one chat on 127.0.0.1; client i connects to ports[i % ports.length]. */
  ports: number[];
  /** The processes that serve the chat (servers, Redis): their CPU time is the cost measured. */
  pids: number[];
  /** dm, room: registered clients. */
  clients: number;
  /** dm, room: messages each sender keeps in flight (closed loop). */
  window: number;
  /** room: how many of the clients send (the others only receive). */
  senders: number;
  /**
   * dm, room: rooms each client sits in (default 1, the lobby): the others are r1, r2, ...,
   * shared by every client, joined at set-up; the lobby, where the load goes, is made current.
   */
  rooms?: number;
  /** connect: parallel connect, register, close loops. */
  connectors: number;
  /** idle: registered connections opened and held. */
  idle: number;
  /** Connections being opened and registered at once during set-up. */
  concurrency: number;
  /** Payload bytes of a message, marker included. */
  size: number;
  warmupMs: number;
  windowMs: number;
  /** After the window: how long the messages still in flight may take to arrive. */
  drainMs: number;
  /** A message in flight longer than this is lost; its window slot is freed. */
  timeoutMs: number;
  /** Longest set-up (connect and register every client). */
  setupMs: number;
}

export interface LoadResult {
  scenario: Scenario;
  /** dm: messages/s; room: deliveries/s (messages x recipients); connect: connects+registrations/s. */
  perSecond: number;
  /** The same per CPU-second of the serving processes. */
  perCpuSecond: number;
  /** Serving processes' CPU during the window, % of one core (summed over the processes). */
  serverCpuPct: number;
  /** This load generator's CPU during the window, % of one core. */
  loadCpuPct: number;
  p50Us: number | null;
  p99Us: number | null;
  maxUs: number;
  sent: number;
  /** dm, room: deliveries; connect: registrations completed (whole run). */
  delivered: number;
  /** Messages never delivered (or, for connect/idle, connections that failed to register). */
  lost: number;
  /** Messages that reached a client they were not for, or reached one twice. */
  misrouted: number;
  /** Connections the server closed while the load ran. */
  dropped: number;
  /** idle: server memory growth per connection held, KiB. */
  kibPerConnection?: number;
  /** idle: connections the server holds (growth of its open files). */
  held?: number;
  /** What went wrong, if anything did (then the figures are not to be trusted). */
  error?: string;
}

/** A run that could not be measured: ERROR says why; FIGURE stands for each rate and CPU figure. */
export function failedLoad(scenario: Scenario, error: string, figure: number, dropped: number): LoadResult {
  return {
    scenario,
    perSecond: figure,
    perCpuSecond: figure,
    serverCpuPct: figure,
    loadCpuPct: figure,
    p50Us: null,
    p99Us: null,
    maxUs: 0,
    sent: 0,
    delivered: 0,
    lost: 0,
    misrouted: 0,
    dropped,
    error,
  };
}
