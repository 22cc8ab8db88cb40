/**
 * Bytes to lines: one incremental decoder per connection, with no sockets in it.
 *
 * docs/protocol.md "Bytes and lines": a line ends at LF, a CR right before the LF is
 * dropped, and a line is at most `maxLine` bytes without its terminator. A longer line is
 * reported once and then discarded up to the next LF without being buffered, so a client
 * sending a megabyte without a newline costs the server at most `maxLine + 1` bytes.
 */
export interface LineSink {
  /** A complete line, terminator removed. Only valid during the call: copy to keep it. */
  line(bytes: Buffer): void;
  /** A line went over the limit; its bytes are being thrown away. */
  overflow(): void;
}

const LF = 0x0a;
const CR = 0x0d;
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

  constructor(
    readonly maxLine: number,
    private readonly sink: LineSink,
  ) {}

  /** Bytes held while waiting for an LF; never more than maxLine + 1. */
  get pendingBytes(): number {
    return this.#size;
  }

  /** Bytes of memory held for the unfinished line. */
  get bufferBytes(): number {
    return this.#buffer?.length ?? 0;
  }

  /** True while a line has started but not ended (including one being discarded). */
  get hasPending(): boolean {
    return this.#size > 0 || this.#skipping;
  }

  /** True once any LF has been taken: the peer frames its lines (docs/protocol.md). */
  get sawLF(): boolean {
    return this.#sawLF;
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
    while (start < chunk.length) {
      const lf = chunk.indexOf(LF, start);
      if (lf !== -1) this.#sawLF = true;
      if (this.#skipping) {
        if (lf === -1) return chunk.length;
        this.#skipping = false;
        start = lf + 1;
        continue;
      }
      const end = lf === -1 ? chunk.length : lf;
      // maxLine + 1 leaves room for the CR of a CRLF that has not fully arrived yet.
      if (this.#size + (end - start) > this.maxLine + 1) {
        this.#clear();
        if (lf === -1) this.#skipping = true;
        this.sink.overflow();
        return lf === -1 ? chunk.length : lf + 1;
      }
      if (lf === -1) {
        this.#append(chunk.subarray(start));
        return chunk.length;
      }
      if (this.#size === 0) {
        this.#emit(chunk.subarray(start, lf));
      } else {
        this.#append(chunk.subarray(start, lf));
        const line = this.#buffer!.subarray(0, this.#size);
        this.#clear();
        this.#emit(line);
      }
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
    else this.sink.line(bytes);
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
}
