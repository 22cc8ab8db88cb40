/**
 * Proof that the stream delivers: every lease renewal, a server adds an entry of its own to
 * the stream (a canary) and waits to read it back. A reader that is connected and answered,
 * and yet delivers nothing (its position past the stream's end after a failover, a read that
 * never returns), is seen within the lease: the health check turns red and the reader is
 * made again. Other systems' health checks stayed green through exactly that.
 */

/** The one field of a canary entry; its value is the id of the server that wrote it. Others skip it. */
export const CANARY_FIELD = 'c';

/** Canaries waiting to be read back at most: a stream that delivers nothing for long keeps the oldest. */
const MAX_WAITING = 64;

export class Canary {
  /** When each canary not read back yet was written, oldest first (ms, NOW's clock). */
  #waiting: number[] = [];
  #listener: ((ms: number) => void) | undefined;

  /** Late after LATE_MS; NOW is the clock (a fake one in tests). */
  constructor(
    readonly lateMs: number,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** A canary is being written now: returns a function that takes it back if the write fails. */
  written(): () => void {
    const at = this.now();
    if (this.#waiting.length < MAX_WAITING) this.#waiting.push(at);
    return () => {
      const i = this.#waiting.indexOf(at);
      if (i >= 0) this.#waiting.splice(i, 1);
    };
  }

  /** One of ours came back through the stream: the oldest, since the stream keeps the order. */
  read(): void {
    const at = this.#waiting.shift();
    if (at !== undefined) this.#listener?.(this.now() - at);
  }

  /** How long the oldest canary has waited, when that is longer than lateMs; else undefined. */
  late(): number | undefined {
    const oldest = this.#waiting[0];
    if (oldest === undefined) return undefined;
    const waited = this.now() - oldest;
    return waited > this.lateMs ? waited : undefined;
  }

  /** Forgets the canaries waiting: the reader is made again, or Redis was lost. */
  reset(): void {
    this.#waiting = [];
  }

  /** LISTENER gets each canary's round trip, in ms (the metric chat_cluster_delivery_seconds). */
  onRoundTrip(listener: (ms: number) => void): void {
    this.#listener = listener;
  }
}
