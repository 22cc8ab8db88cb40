import { pino, type DestinationStream, type Level, type Logger } from 'pino';
import type { ServerEvent } from '../server/events.js';
import { isoTime } from './iso-time.js';
import { forLog } from './redact.js';

/** How loud each event is: a refusal is the client's doing, an error is the operator's to fix. */
function levelOf(event: ServerEvent): Level {
  switch (event.type) {
    case 'error':
      return 'error';
    case 'reject':
      return 'warn';
    default:
      return 'info';
  }
}

/**
 * `--log-format json`: one JSON object per event, a line each, for journald and log shippers:
 * {"level":"info","time":"2026-...Z","event":"register","peer":"127.0.0.1:50000","name":"alice"}.
 * The event's own fields keep their names (peer, name, reason, from, to, message, action, by,
 * until); the redaction of the text format applies (src/ops/redact.ts).
 */
export class JsonLog {
  readonly #logger: Logger;

  constructor(destination: DestinationStream) {
    this.#logger = pino(
      {
        base: null,
        timestamp: () => `,"time":"${isoTime(Date.now())}"`,
        messageKey: 'message',
        formatters: { level: (label) => ({ level: label }) },
      },
      destination,
    );
  }

  /** A server event. */
  event(original: ServerEvent): void {
    const { type, ...fields } = forLog(original);
    const until = 'until' in fields && fields.until !== undefined ? { until: new Date(fields.until).toISOString() } : {};
    this.#logger[levelOf(original)]({ event: type, ...fields, ...until });
  }

  /** A line of the program's own (a warning at start, why it could not start, a signal). */
  line(level: 'info' | 'warn' | 'error', message: string): void {
    this.#logger[level]({ event: level === 'error' ? 'error' : 'notice', message });
  }
}
