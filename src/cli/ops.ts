import type { ChalkInstance } from 'chalk';
import { ChatMetrics } from '../ops/metrics.js';
import { MetricsServer } from '../ops/metrics-server.js';
import { JsonLog } from '../ops/json-log.js';
import type { ChatServer } from '../app/server.js';
import type { ServerEvent } from '../server/events.js';
import type { BoundAddress } from '../protocol/host-port.js';
import { formatEvent } from './log.js';
import { isoTime } from '../ops/iso-time.js';
import { BatchedStderr } from './stderr-batch.js';

/** The metrics port could not be bound: the message names --metrics, not --port. */
export class MetricsBindError extends Error {
  constructor(
    readonly error: NodeJS.ErrnoException,
    readonly host: string,
    readonly port: number,
  ) {
    super(error.message);
  }
}

/**
 * Everything the server writes on stderr, in the --log-format chosen: its events, and its own
 * lines (warnings at start, why it could not start, a signal), so that with json every line
 * of stderr is one JSON object.
 */
export class StderrLog {
  readonly #json: JsonLog | undefined;
  readonly #out = new BatchedStderr();

  constructor(
    format: 'text' | 'json',
    private readonly chalk: ChalkInstance,
  ) {
    this.#json = format === 'json' ? new JsonLog(this.#out) : undefined;
  }

  event(e: ServerEvent): void {
    if (this.#json) this.#json.event(e);
    else this.#out.write(`${formatEvent(e, this.chalk)}\n`);
  }

  /** Why the server cannot start: "chat-server: MESSAGE" in text, an error in JSON. */
  error(message: string): void {
    if (this.#json) this.#json.line('error', message);
    else this.#out.write(`chat-server: ${message}\n`);
  }

  /** Something the operator should change: "chat-server: warning: MESSAGE" in text, a warning in JSON. */
  warning(message: string): void {
    if (this.#json) this.#json.line('warn', message);
    else this.#out.write(`chat-server: warning: ${message}\n`);
  }

  /** A signal that stops the server. */
  stopping(signal: string): void {
    if (this.#json) this.#json.line('info', `${signal}: shutting down`);
    else this.#out.write(`${this.chalk.gray(isoTime(Date.now()))} ${signal}: shutting down\n`);
  }
}

/** --metrics: counts the events, then serves the figures once the chat is listening. */
export class MetricsOption {
  readonly metrics: ChatMetrics | undefined;

  constructor(private readonly at: BoundAddress | undefined) {
    this.metrics = at ? new ChatMetrics() : undefined;
  }

  /** The server's onEvent: counted first (when metrics are on), then LOG. */
  onEvent(log: (e: ServerEvent) => void): (e: ServerEvent) => void {
    return this.metrics ? this.metrics.onEvent(log) : log;
  }

  /** Binds the metrics port; resolves with the address bound (none without --metrics), rejects with MetricsBindError. */
  async start(server: ChatServer): Promise<BoundAddress | undefined> {
    const { metrics, at } = this;
    if (!metrics || !at) return undefined;
    metrics.watch(server);
    return new MetricsServer(metrics).listen(at.host, at.port).catch((err: NodeJS.ErrnoException) => {
      throw new MetricsBindError(err, at.host, at.port);
    });
  }
}
