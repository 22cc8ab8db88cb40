import type { Duplex } from 'node:stream';
import type { Timers } from '../protocol/timers.js';
import type { Framer } from './dialect.js';

/** Bytes of input that may wait to be decoded before the socket is paused. */
const INPUT_HELD = 64 * 1024;
/** Reads that may wait, whatever their size: one-byte packets must not cost an object each without end. */
const INPUT_READS = 64;
/** Reads this soon after a pause may have waited in the kernel (see push). */
const RESUMED_MS = 50;

/**
 * Reads not decoded yet, each with when it came: they wait while an earlier line is being
 * answered (a password check, the cluster) or for the rate. They stay raw, and reading stops
 * past a bound in bytes (flow), so TCP pushes back on the sender:
 * what waits is bounded in bytes however short the lines (64 KiB of empty lines once cost
 * 13 MB as one Buffer each), and nothing is dropped. The arrival times let the framer tell a
 * client's separate send()s apart although they are decoded later (PROTOCOL.md: time the
 * server is not reading never counts).
 */
export class Inbox {
  #queue: { chunk: Buffer; at: number }[] = [];
  /** Where decoding stands in the first queued read. */
  #offset = 0;
  /** Bytes left to decode in all reads. */
  bytes = 0;
  /** When the last read came, and when reading last resumed after a pause. */
  #lastAt: number;
  #resumedAt = -Infinity;
  #reading = true;
  #decoding = true;

  constructor(now: number) {
    this.#lastAt = now;
  }

  /** A read that came at NOW. */
  push(chunk: Buffer, now: number): void {
    // Bytes read just after a pause may have waited in the kernel since before it: their
    // arrival is unknown, and they count as coming with the read before them.
    const at = now - this.#resumedAt < RESUMED_MS ? this.#lastAt : now;
    this.#lastAt = at;
    this.#queue.push({ chunk, at });
    this.bytes += chunk.length;
  }

  /**
   * The one place that pauses and resumes. STREAM is read while OPEN (the connection is, and
   * its peer takes its replies) and less than INPUT_HELD bytes in fewer than INPUT_READS
   * reads wait: during a password check too, so that a connection reset meanwhile is noticed
   * and its check cancelled; what comes meanwhile waits here. The framer's delay runs only
   * while nothing waits to be decoded and no answer is pending (BUSY).
   */
  flow(stream: Duplex, framer: Framer, open: boolean, busy: boolean, timers: Timers): void {
    const read = open && this.bytes < INPUT_HELD && this.#queue.length < INPUT_READS;
    if (read !== this.#reading) {
      this.#reading = read;
      if (read) {
        this.#resumedAt = timers.now();
        stream.resume();
      } else {
        stream.pause();
      }
    }
    const decoding = read && !busy && this.#queue.length === 0;
    if (decoding !== this.#decoding) {
      this.#decoding = decoding;
      if (decoding) framer.resume();
      else framer.pause();
    }
  }

  /** Reads waiting, whatever their size. */
  get reads(): number {
    return this.#queue.length;
  }

  /** Feeds FRAMER up to the end of one line, which its sink handles before this returns. */
  decodeLine(framer: Framer): void {
    const head = this.#queue[0]!;
    const from = this.#offset;
    const next = framer.pushLine(head.chunk, from, head.at);
    // The line may have closed the session, which empties the inbox.
    if (this.#queue[0] !== head) return;
    this.bytes -= next - from;
    if (next >= head.chunk.length) {
      this.#queue.shift();
      this.#offset = 0;
    } else {
      this.#offset = next;
    }
  }

  /** The connection closed: nothing more is decoded. */
  clear(): void {
    this.#queue = [];
    this.#offset = 0;
    this.bytes = 0;
  }
}
