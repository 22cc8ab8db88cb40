import type { LineSink } from '../../server/dialect.js';
import { decodeText } from '../../protocol/sanitize.js';

/**
 * Bytes to lines of text: one incremental decoder per connection, with no sockets in it.
 *
 * docs/protocol.md "Bytes and lines": a line ends at LF, a CR right before the LF is
 * dropped, and a line is at most `maxLine` bytes without its terminator. A longer line is
 * reported once and then discarded up to the next LF without being buffered, so a client
 * sending a megabyte without a newline costs the server at most `maxLine + 1` bytes.
 * A line is decoded as UTF-8 (invalid bytes become U+FFFD) and its control characters are
 * removed (sanitize.ts).
 */
export type { LineSink };

const LF = 0x0a;
const CR = 0x0d;
/** Bytes of a read decoded at once, at most: what a connection waiting mid-read keeps extra. */
const TEXT_MAX = 8 * 1024;
/**
 * Lines of printable ASCII and TAB: they need no sanitising (sanitize.ts), and their
 * characters are at their bytes' offsets. Matching what may pass is faster than searching
 * for what may not.
 */
const PLAIN_LINES = /^[\t\n -~]*$/;
/**
 * The same for a decoder that keeps control characters (raw): printable ASCII and CR too, as
 * IRC ends its lines with CRLF; the CR before an LF is dropped as #emit drops it.
 */
const RAW_PLAIN_LINES = /^[\t\n\r -~]*$/;
/** First size of the buffer for an unfinished line; it doubles up to maxLine + 1. */
const INITIAL_BUFFER = 256;

export class LineDecoder {
  /**
   * The unfinished line, copied into one buffer of our own: a subarray would pin the
   * socket's read buffer, and one Buffer per chunk would cost hundreds of bytes of heap
   * per byte for a client that sends one byte per packet. Dropped once the line ends.
   */
  #buffer: Buffer | undefined;
  #size = 0;
  #skipping = false;
  #sawLF = false;
  #discarded = 0;
  /**
   * The lines of the read being taken, decoded at once: one decode and one scan for control
   * characters a read instead of a line, which is most of what a short line costs. Only for
   * reads of PLAIN_LINES; others are decoded a line at a time. From #textFrom up to
   * #textEnd, the byte after the last LF in TEXT_MAX bytes; #text is undefined where the
   * read is not plain. Let go of once those lines are taken.
   */
  #textOf: Buffer | undefined = undefined;
  #text: string | undefined = undefined;
  #textFrom = 0;
  #textEnd = 0;

  constructor(
    readonly maxLine: number,
    private readonly sink: LineSink,
    /** Control characters are kept (a dialect that strips them itself: IRC). */
    private readonly raw = false,
  ) {}

  /** Bytes held while waiting for an LF; never more than maxLine + 1. */
  get pendingBytes(): number {
    return this.#size;
  }

  /** Bytes of memory held for the unfinished line, and the text of a read being taken. */
  get bufferBytes(): number {
    return (this.#buffer?.length ?? 0) + (this.#text?.length ?? 0);
  }

  /** True while a line has started but not ended (including one being discarded). */
  get hasPending(): boolean {
    return this.#size > 0 || this.#skipping;
  }

  /** True once any LF has been taken: the peer frames its lines (docs/protocol.md). */
  get sawLF(): boolean {
    return this.#sawLF;
  }

  /** Bytes of overlong lines thrown away, all told: they cost flood control like lines. */
  get discardedBytes(): number {
    return this.#discarded;
  }

  /** True while an overlong line is being thrown away. */
  get discarding(): boolean {
    return this.#skipping;
  }

  /** Takes every line in CHUNK. */
  push(chunk: Buffer): void {
    for (let start = 0; start < chunk.length; ) start = this.pushLine(chunk, start);
  }

  /**
   * Takes bytes from CHUNK at START up to and including the first line that ends (or the
   * first overflow), and returns where it stopped: CHUNK.length once all is taken. The
   * caller decides whether to go on, so that a connection that must wait (flood control, a
   * password check) leaves the rest as raw bytes instead of queueing one Buffer per line.
   */
  pushLine(chunk: Buffer, start: number): number {
    const next = this.#take(chunk, start);
    // A read is let go of once its lines are taken, whichever way they ended: kept, it would
    // pin up to 64 KiB per connection that nothing counts.
    if (this.#textOf !== undefined && (this.#textOf !== chunk || next >= this.#textEnd)) this.#forgetText();
    return next;
  }

  #take(chunk: Buffer, start: number): number {
    while (start < chunk.length) {
      const lf = chunk.indexOf(LF, start);
      // #sawLF is set once the line this LF ends has been handed on: for the sink, the line
      // that brings a connection's first LF still comes from a connection without one (the
      // kernel may have joined it to a send() before it: `hello` and `@bob:pin\n`).
      if (this.#skipping) {
        const end = lf === -1 ? chunk.length : lf + 1;
        this.#discarded += end - start;
        if (lf === -1) return end;
        this.#skipping = false;
        this.#sawLF = true;
        start = end;
        continue;
      }
      const end = lf === -1 ? chunk.length : lf;
      // maxLine + 1 leaves room for the CR of a CRLF that has not fully arrived yet.
      if (this.#size + (end - start) > this.maxLine + 1) {
        this.#discarded += this.#size + (end - start);
        this.#clear();
        if (lf === -1) this.#skipping = true;
        this.sink.overflow();
        if (lf === -1) return chunk.length;
        this.#sawLF = true;
        return lf + 1;
      }
      if (lf === -1) {
        this.#append(chunk.subarray(start));
        return chunk.length;
      }
      if (this.#size === 0) {
        const text = this.#textAt(chunk, start);
        const from = this.#textFrom;
        // Only a raw decoder's plain text holds a CR (RAW_PLAIN_LINES).
        const end = text !== undefined && lf > start && chunk[lf - 1] === CR ? lf - 1 : lf;
        if (text === undefined) this.#emit(chunk.subarray(start, lf));
        else if (end - start > this.maxLine) this.sink.overflow();
        else this.sink.line(text.slice(start - from, end - from), true);
      } else {
        this.#append(chunk.subarray(start, lf));
        const line = this.#buffer!.subarray(0, this.#size);
        this.#clear();
        this.#emit(line);
      }
      this.#sawLF = true;
      return lf + 1;
    }
    return start;
  }

  /**
   * Ends the current line without an LF: the flush delay ran out, or the peer closed its
   * side. Pending bytes become a line; a line being discarded is over.
   */
  flush(): void {
    if (this.#skipping) {
      this.#skipping = false;
      return;
    }
    if (this.#size === 0) return;
    const line = this.#buffer!.subarray(0, this.#size);
    this.#clear();
    this.#emit(line);
  }

  #emit(line: Buffer): void {
    const bytes = line.length > 0 && line[line.length - 1] === CR ? line.subarray(0, -1) : line;
    if (bytes.length > this.maxLine) this.sink.overflow();
    else this.sink.line(this.raw ? bytes.toString() : decodeText(bytes));
  }

  /**
   * The text of CHUNK's lines from START, when they can be taken as slices of one decode
   * (see #textOf); undefined when each line is decoded on its own.
   */
  #textAt(chunk: Buffer, start: number): string | undefined {
    // START 0 is a new read, even in a Buffer the caller used before.
    if (this.#textOf !== chunk || start === 0 || start < this.#textFrom || start >= this.#textEnd) {
      const end = chunk.lastIndexOf(LF, Math.min(chunk.length, start + TEXT_MAX) - 1) + 1;
      this.#textOf = chunk;
      this.#textFrom = start;
      this.#textEnd = Math.max(end, start + 1);
      const text = end > start ? chunk.toString('utf8', start, end) : undefined;
      this.#text = text !== undefined && (this.raw ? RAW_PLAIN_LINES : PLAIN_LINES).test(text) ? text : undefined;
    }
    return this.#text;
  }

  #append(piece: Buffer): void {
    const needed = this.#size + piece.length;
    if (this.#buffer === undefined || this.#buffer.length < needed) {
      let size = Math.max(this.#buffer?.length ?? INITIAL_BUFFER, INITIAL_BUFFER);
      while (size < needed) size *= 2;
      const grown = Buffer.allocUnsafe(Math.min(size, this.maxLine + 1));
      this.#buffer?.copy(grown, 0, 0, this.#size);
      this.#buffer = grown;
    }
    piece.copy(this.#buffer, this.#size);
    this.#size = needed;
  }

  #clear(): void {
    this.#buffer = undefined;
    this.#size = 0;
  }

  /** Lets go of the read whose lines were decoded at once (see #textOf). */
  #forgetText(): void {
    this.#textOf = undefined;
    this.#text = undefined;
  }
}
