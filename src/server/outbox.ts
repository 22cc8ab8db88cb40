import type { Duplex } from 'node:stream';
import type { ServerStats } from './stats.js';

/**
 * Output of one turn past which it is written at once rather than at the turn's end: write()
 * must get the chance to say the peer is behind before more of its lines are decoded. Within
 * one turn libuv may hand over dozens of reads, and every line of them would be answered
 * into the held output before the first byte was written (2 MB of answers to a pipelining
 * client that does not read, and its cut-off at --max-sendq, with docs/protocol.md promising
 * it waits).
 */
export const OUTPUT_TURN = 64 * 1024;

/** What an outbox needs of its connection and of the chat it is in. */
export interface OutboxOwner {
  readonly stream: Duplex;
  readonly host: {
    readonly stats: ServerStats;
    readonly options: { readonly maxSendq: number };
    /** Writes this outbox's held output at the end of the turn, with every other connection's (ChatCore.uncorkLater). */
    uncorkLater(outbox: Outbox): void;
    /** Writes a held presence notice within NOTICE_DELAY_MS (ChatCore.flushSoon). */
    flushSoon(outbox: Outbox): void;
  };
  /** write() said the peer is behind: read nothing more from it until its 'drain'. */
  behind(): void;
  /** The peer let more than maxSendq wait: it is cut off. */
  overflowed(): void;
}

/**
 * The one writer of a connection (STYLE.md, point 21): everything the connection is sent goes
 * through here, held until the end of the event-loop turn and then written at once, strings
 * joined into one (no Buffer, no iovec per line). It honours write(): a peer that is behind
 * is reported (OutboxOwner.behind), and one past maxSendq is cut off.
 */
export class Outbox {
  #out: (Buffer | string)[] = [];
  /** #out holds Buffers, not only strings. */
  #outBuffers = false;
  /** Characters or bytes in #out (a bound, not a byte count: see OUTPUT_TURN). */
  #size = 0;
  /** #out holds a line of send()'s, not only chat for this user (see CloseOptions.answersOnly). */
  #answerQueued = false;
  /** OutboxOwner.flushSoon will write #out: it holds a presence notice (see notify). */
  #noticeDue = false;
  #corked = false;
  #closed = false;
  /** write() said the peer is behind, and its 'drain' has not come yet. */
  draining = false;

  constructor(private readonly owner: OutboxOwner) {}

  /** A line of this connection's own (an answer, an error): see answerQueued. */
  answer(text: string): void {
    this.#answerQueued = true;
    this.deliver(text);
  }

  /**
   * Queues BYTES until the end of this event-loop turn. `written` is called once BYTES are
   * handed to the system, or with an error if they never are.
   */
  deliver(bytes: Buffer | string, written?: (err?: Error | null) => void): void {
    if (this.#closed) return written?.(new Error('connection closed'));
    if (written !== undefined) {
      // Its own write, after what is queued: the callback must be for these bytes.
      this.flush();
      return this.#write(bytes, written);
    }
    this.#hold(bytes);
    if (!this.#corked) {
      this.#corked = true;
      this.owner.host.uncorkLater(this);
    }
  }

  /** A presence notice: it goes out with this connection's next output, or within NOTICE_DELAY_MS. */
  notify(text: Buffer | string): void {
    if (this.#closed) return;
    this.#hold(text);
    if (!this.#corked && !this.#noticeDue) {
      this.#noticeDue = true;
      this.owner.host.flushSoon(this);
    }
  }

  /** NOTICE_DELAY_MS after a notice: whatever waits goes out. */
  flushNotices(): void {
    this.#noticeDue = false;
    if (!this.#closed && !this.#corked) this.flush();
  }

  /** The end of the turn: what this turn queued goes out. */
  uncork(): void {
    if (this.#corked) {
      this.#corked = false;
      if (!this.#closed) this.flush();
    }
  }

  /** Held output, in characters or bytes. */
  get size(): number {
    return this.#size;
  }

  /** This turn's output, in one write when it is all strings (direct messages, replies). */
  flush(): void {
    const out = this.#out;
    if (out.length === 0) return;
    this.#out = [];
    this.#size = 0;
    this.#answerQueued = false;
    if (out.length === 1) return this.#write(out[0]!);
    if (!this.#outBuffers) return this.#write(out.join(''));
    // Room messages are encoded once for all their members: those Buffers go as they are.
    this.#outBuffers = false;
    const { stream } = this.owner;
    stream.cork();
    for (const bytes of out) this.#write(bytes);
    stream.uncork();
  }

  /**
   * The connection is closing: what was said before the close (the reason, a last answer)
   * goes out, unless DROP; with ANSWERS_ONLY, only if it holds an answer of send()'s.
   */
  close(drop: boolean, answersOnly: boolean): void {
    if (drop || (answersOnly && !this.#answerQueued)) this.#out = [];
    else this.flush();
    this.#closed = true;
    this.#corked = false;
  }

  #hold(bytes: Buffer | string): void {
    this.#out.push(bytes);
    this.#size += bytes.length;
    if (typeof bytes !== 'string') this.#outBuffers = true;
  }

  #write(bytes: Buffer | string, written?: (err?: Error | null) => void): void {
    const { owner } = this;
    owner.host.stats.bytesOut += typeof bytes === 'string' ? Buffer.byteLength(bytes) : bytes.length;
    if (!owner.stream.write(bytes, written) && !this.draining) {
      // Honour write(): a peer that is behind gets no more of its own requests read until
      // it catches up, so it cannot make us queue replies it does not take.
      this.draining = true;
      owner.behind();
    }
    if (owner.stream.writableLength > owner.host.options.maxSendq) {
      // Not now: we may be inside another member's broadcast loop.
      process.nextTick(() => owner.overflowed());
    }
  }
}
