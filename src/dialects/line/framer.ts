import { LineDecoder, type LineSink } from './decoder.js';
import type { Timers } from '../../protocol/timers.js';

const LF = 0x0a;

/**
 * LineDecoder plus the framing rule of docs/protocol.md, "Bytes and lines": a line is never
 * cut. Bytes become a line at an LF, with one exception for tutorial clients that send each
 * message with one send() and no LF at all: on a connection that has never sent an LF,
 * bytes that have waited `flushMs` are taken as a line (flushMs 0 turns this off).
 *
 * - Once an LF has been seen, only LF ends a line, however slowly the rest arrives: a pause
 *   (a person, a lost segment, the server itself) must never turn the tail of a direct
 *   message into a room message.
 * - The delay only runs while the server is reading the connection (`pause`/`resume`): time
 *   the server causes (flood control, a slow reader, a password check) is not the client's.
 * - For a connection without LF, each send() is a message: bytes that come after a gap of a
 *   fifth of the delay end what was waiting before them, so a room message and a direct
 *   message sent 100 ms apart are not merged into one room line.
 * - An overlong line is discarded up to its LF; for a connection without LF the discarding
 *   ends once nothing more has come for `flushMs`.
 */
export class LineFramer implements LineSink {
  readonly #decoder: LineDecoder;
  readonly #gapMs: number;
  #timer: unknown = undefined;
  #paused = false;
  #lastArrival: number;

  constructor(
    maxLine: number,
    private readonly flushMs: number,
    private readonly sink: LineSink,
    private readonly timers: Timers,
    /** Lines as sent, control characters kept (IRC's parser wants CTCP's \x01). */
    raw = false,
  ) {
    // The framer is its decoder's sink (methods, not closures: one framer per connection).
    this.#decoder = new LineDecoder(maxLine, this, raw);
    this.#gapMs = flushMs / 5;
    this.#lastArrival = timers.now();
  }

  /** From the decoder: a finished line restarts the clock for whatever follows it. */
  line(text: string, plain?: boolean): void {
    this.#stopTimer();
    this.sink.line(text, plain);
  }

  /** From the decoder. */
  overflow(): void {
    this.#stopTimer();
    this.sink.overflow();
  }

  get pendingBytes(): number {
    return this.#decoder.pendingBytes;
  }

  /** Bytes of overlong lines thrown away, all told. */
  get discardedBytes(): number {
    return this.#decoder.discardedBytes;
  }

  /** Memory held for the unfinished line. */
  get bufferBytes(): number {
    return this.#decoder.bufferBytes;
  }

  /** True while the flush delay may still end a line: the peer has never sent an LF. */
  get unframed(): boolean {
    return this.flushMs > 0 && !this.#decoder.sawLF;
  }

  /** Takes every line of CHUNK (for callers that never need to stop in between). */
  push(chunk: Buffer, at = this.timers.now()): void {
    for (let start = 0; start < chunk.length; ) start = this.pushLine(chunk, start, at);
  }

  /**
   * Takes CHUNK from START up to the end of its first line (see LineDecoder.pushLine) and
   * returns where it stopped. START 0 is a new arrival, which came AT (now, unless the
   * caller kept it a while: its arrival is what tells one send() from the next).
   */
  pushLine(chunk: Buffer, start: number, at = this.timers.now()): number {
    if (start === 0 && this.unframed && this.#decoder.hasPending) {
      const gap = at - this.#lastArrival;
      this.#lastArrival = at;
      // A new send() after a gap: what waited is a message of its own. Not when the new
      // bytes hold an LF (they end the waiting line: the peer frames after all), nor while
      // an overlong line is discarded (it ends after a quiet flushMs). One line per call,
      // so the caller checks again (flood control) before the chunk itself is taken.
      if (gap >= this.#gapMs && !this.#decoder.discarding && chunk.indexOf(LF) === -1) {
        this.#decoder.flush();
        this.#stopTimer();
        return 0;
      }
    } else if (start === 0) {
      this.#lastArrival = at;
    }
    const wasDiscarding = this.#decoder.discarding;
    const next = this.#decoder.pushLine(chunk, start);
    if (!this.unframed) this.#stopTimer();
    else if (wasDiscarding && this.#decoder.discarding) this.#stopTimer(); // still coming: wait on
    this.#startTimer();
    return next;
  }

  /** The server stops reading this connection: the delay stops too. */
  pause(): void {
    this.#paused = true;
    this.#stopTimer();
  }

  /** The server reads again: the delay starts afresh, as if the bytes had just come. */
  resume(): void {
    this.#paused = false;
    this.#startTimer();
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

  #startTimer(): void {
    if (this.#paused || this.#timer !== undefined || !this.unframed || !this.#decoder.hasPending) return;
    this.#timer = this.timers.setTimeout(() => {
      this.#timer = undefined;
      this.#decoder.flush();
    }, this.flushMs);
  }

  #stopTimer(): void {
    if (this.#timer !== undefined) {
      this.timers.clearTimeout(this.#timer);
      this.#timer = undefined;
    }
  }
}
