/**
 * Proof that the stream delivers: every lease renewal, a server adds an entry of its own to
 * the stream (a canary) and waits to read it back. A reader that is connected and answered,
 * and yet delivers nothing (its position past the stream's end after a failover, a read that
 * never returns), is seen within the lease: the health check turns red and the reader is
 * made again. Other systems' health checks stayed green through exactly that.
 */

/** The one field of a canary entry; its value is `SERVER SEQ`, the server that wrote it. Others skip it. */
export const CANARY_FIELD = 'c';

/** Canaries waiting to be read back at most: a stream that delivers nothing for long keeps the oldest. */
const MAX_WAITING = 64;

/** The longest wait between two restarts of a reader that delivers nothing, in leases (see mayRestart). */
const MAX_BACKOFF_LEASES = 16;

/** What the reader is doing when a canary is late. */
export type Lateness =
  /** Reads come back with entries: the reader is behind the stream, not stuck. */
  | 'behind'
  /** Reads come back empty, or not at all: nothing reaches this server. */
  | 'stuck';

export class Canary {
  /** Canaries not read back yet: sequence number and when written (ms, NOW's clock), oldest first. */
  #waiting: { seq: number; at: number }[] = [];
  #seq = 0;
  /** Since when this server has had no proof of delivery across a restart of its reader (see restarted). */
  #unprovenSince: number | undefined;
  #restarts = 0;
  #restartedAt = Number.NEGATIVE_INFINITY;
  /** A reader made again is not made again before this (resumed): it has lateMs to prove itself. */
  #graceUntil = Number.NEGATIVE_INFINITY;
  /** When the reader last had an answer, and whether it carried entries (read()). */
  #answeredAt = Number.NEGATIVE_INFINITY;
  #answerHadEntries = false;
  #listener: ((ms: number) => void) | undefined;

  /** Late after LATE_MS; a reader's read counts as recent within ANSWER_MS; NOW is the clock (a fake one in tests). */
  constructor(
    readonly lateMs: number,
    private readonly answerMs: number,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /**
   * A canary is being written now: its sequence number (in the entry, for read) and a
   * function that takes it back if the write fails.
   */
  written(): { seq: number; takeBack: () => void } {
    const entry = { seq: ++this.#seq, at: this.now() };
    if (this.#waiting.length < MAX_WAITING) this.#waiting.push(entry);
    return {
      seq: entry.seq,
      takeBack: () => {
        const i = this.#waiting.indexOf(entry);
        if (i >= 0) this.#waiting.splice(i, 1);
      },
    };
  }

  /**
   * Canary SEQ came back through the stream: it and every one before it are settled (the
   * stream keeps the order: those before it were lost, or were never written). One from
   * before a reset (no longer waiting) proves nothing.
   */
  read(seq: number): void {
    const i = this.#waiting.findIndex((w) => w.seq === seq);
    if (i < 0) return;
    const at = this.#waiting[i]!.at;
    this.#waiting.splice(0, i + 1);
    this.#unprovenSince = undefined;
    this.#restarts = 0;
    this.#listener?.(this.now() - at);
  }

  /** The reader had an answer (HAD_ENTRIES: with entries): whether it is behind or stuck (late). */
  answered(hadEntries: boolean): void {
    this.#answeredAt = this.now();
    this.#answerHadEntries = hadEntries;
  }

  /** How long this server has been without proof of delivery, when that is longer than lateMs; else undefined. */
  late(): number | undefined {
    const since = this.#since();
    if (since === undefined) return undefined;
    const waited = this.now() - since;
    return waited > this.lateMs ? waited : undefined;
  }

  /** Since when this server has been without proof: its oldest canary waiting, or a restart not proven since; undefined with neither. */
  #since(): number | undefined {
    const oldest = Math.min(this.#waiting[0]?.at ?? Number.POSITIVE_INFINITY, this.#unprovenSince ?? Number.POSITIVE_INFINITY);
    return oldest === Number.POSITIVE_INFINITY ? undefined : oldest;
  }

  /** For a late canary: a reader answered recently with entries is behind; any other is stuck. */
  lateness(): Lateness {
    return this.#answerHadEntries && this.now() - this.#answeredAt <= this.answerMs ? 'behind' : 'stuck';
  }

  /**
   * Whether a stuck reader may be made again now: at once the first time, then after 2, 4,
   * 8... leases (at most MAX_BACKOFF_LEASES) while no canary comes back, so that a reader
   * that no restart mends is not restarted every renewal.
   */
  mayRestart(leaseMs: number): boolean {
    const wait = this.#restarts === 0 ? 0 : leaseMs * Math.min(2 ** this.#restarts, MAX_BACKOFF_LEASES);
    const now = this.now();
    return now - this.#restartedAt >= wait && now >= this.#graceUntil;
  }

  /**
   * The reader is being made again (after reset, which a lost connection does): until a
   * canary written from now on comes back, this server stays without proof since SINCE.
   */
  restarted(since: number): void {
    this.#unprovenSince = since;
    this.#restarts++;
    this.#restartedAt = this.now();
  }

  /**
   * Back in the chat after a restart of the reader: the new reader has lateMs from now to
   * prove itself before the next restart may come (mayRestart). /healthz stays red until it has.
   */
  resumed(): void {
    if (this.#unprovenSince !== undefined) this.#graceUntil = this.now() + this.lateMs;
  }

  /** When the oldest canary waiting was written, or now. */
  oldest(): number {
    return this.#since() ?? this.now();
  }

  /** Forgets the canaries waiting and any missing proof: Redis was lost, and the way back starts afresh. */
  reset(): void {
    this.#waiting = [];
    this.#unprovenSince = undefined;
  }

  /** LISTENER gets each canary's round trip, in ms (the metric chat_cluster_delivery_seconds). */
  onRoundTrip(listener: (ms: number) => void): void {
    this.#listener = listener;
  }
}
