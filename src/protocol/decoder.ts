/**
 * Bytes to lines: one incremental decoder per connection, with no sockets in it.
 *
 * PROTOCOL.md "Transport and framing": a line ends at LF, a CR right before the LF is
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

export class LineDecoder {
  #parts: Buffer[] = [];
  #size = 0;
  #skipping = false;

  constructor(
    readonly maxLine: number,
    private readonly sink: LineSink,
  ) {}

  /** Bytes held while waiting for an LF; never more than maxLine + 1. */
  get pendingBytes(): number {
    return this.#size;
  }

  /** True while a line has started but not ended (including one being discarded). */
  get hasPending(): boolean {
    return this.#size > 0 || this.#skipping;
  }

  push(chunk: Buffer): void {
    let start = 0;
    while (start < chunk.length) {
      const lf = chunk.indexOf(LF, start);
      if (this.#skipping) {
        if (lf === -1) return;
        this.#skipping = false;
        start = lf + 1;
        continue;
      }
      const end = lf === -1 ? chunk.length : lf;
      // maxLine + 1 leaves room for the CR of a CRLF that has not fully arrived yet.
      if (this.#size + (end - start) > this.maxLine + 1) {
        this.#clear();
        this.sink.overflow();
        if (lf === -1) {
          this.#skipping = true;
          return;
        }
        start = lf + 1;
        continue;
      }
      if (lf === -1) {
        // Copy: a subarray would pin the socket's whole read buffer while we wait.
        this.#parts.push(Buffer.from(chunk.subarray(start)));
        this.#size += chunk.length - start;
        return;
      }
      const piece = chunk.subarray(start, lf);
      this.#emit(this.#size === 0 ? piece : this.#take(piece));
      start = lf + 1;
    }
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
    if (this.#size > 0) this.#emit(this.#take(Buffer.alloc(0)));
  }

  #emit(line: Buffer): void {
    const bytes = line.length > 0 && line[line.length - 1] === CR ? line.subarray(0, -1) : line;
    if (bytes.length > this.maxLine) this.sink.overflow();
    else this.sink.line(bytes);
  }

  #take(last: Buffer): Buffer {
    this.#parts.push(last);
    const line = Buffer.concat(this.#parts, this.#size + last.length);
    this.#clear();
    return line;
  }

  #clear(): void {
    this.#parts = [];
    this.#size = 0;
  }
}
