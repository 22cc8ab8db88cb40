import { LineDecoder, type LineSink } from './decoder.js';
import type { Timers } from './timers.js';

/**
 * LineDecoder plus the flush delay of PROTOCOL.md: simple clients send a message with one
 * send() and no LF, so bytes that have waited `flushMs` without an LF are taken as a line.
 * The delay counts from the first byte of the unfinished line. flushMs 0 turns it off.
 *
 * An overlong line is discarded up to its LF; for a client that never sends one, the
 * discarding also ends once nothing more has come for `flushMs`. While its bytes keep
 * coming the clock restarts, so a long line arriving slowly is not cut into pieces.
 */
export class LineFramer implements LineSink {
  readonly #decoder: LineDecoder;
  #timer: unknown = undefined;

  constructor(
    maxLine: number,
    private readonly flushMs: number,
    private readonly sink: LineSink,
    private readonly timers: Timers,
  ) {
    // The framer is its decoder's sink (methods, not closures: one framer per connection).
    this.#decoder = new LineDecoder(maxLine, this);
  }

  /** From the decoder: a finished line restarts the clock for whatever follows it. */
  line(bytes: Buffer): void {
    this.#stopTimer();
    this.sink.line(bytes);
  }

  /** From the decoder. */
  overflow(): void {
    this.#stopTimer();
    this.sink.overflow();
  }

  get pendingBytes(): number {
    return this.#decoder.pendingBytes;
  }

  /** Memory held for the unfinished line. */
  get bufferBytes(): number {
    return this.#decoder.bufferBytes;
  }

  push(chunk: Buffer): void {
    const wasDiscarding = this.#decoder.discarding;
    this.#decoder.push(chunk);
    if (wasDiscarding && this.#decoder.discarding) this.#stopTimer();
    if (this.flushMs > 0 && this.#decoder.hasPending && this.#timer === undefined) {
      this.#timer = this.timers.setTimeout(() => {
        this.#timer = undefined;
        this.#decoder.flush();
      }, this.flushMs);
    }
  }

  /** The peer finished sending: an unterminated last line still counts. */
  end(): void {
    this.#stopTimer();
    this.#decoder.flush();
  }

  /** The connection is gone: drop what is pending and any timer. */
  dispose(): void {
    this.#stopTimer();
  }

  #stopTimer(): void {
    if (this.#timer !== undefined) {
      this.timers.clearTimeout(this.#timer);
      this.#timer = undefined;
    }
  }
}
