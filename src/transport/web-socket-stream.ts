import type net from 'node:net';
import { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';

const LF = 0x0a;
const CR = 0x0d;
const NEWLINE = Buffer.from('\n');
const EMPTY = Buffer.alloc(0);

/** WebSocket opcodes (RFC 6455, 5.2) of the two kinds of message. */
const TEXT = 0x1;
const BINARY = 0x2;

/**
 * The frames of LINES, each one whole message (FIN set, not masked: a server's frames never
 * are), as one buffer. RFC 6455, 5.2: a length under 126 fits the second byte; under 65536,
 * 126 and two bytes; else 127 and eight. A line is a string (what one member gets) or bytes
 * (what many get, encoded once): a string is encoded straight into the frames' buffer.
 */
export function framesOf(lines: readonly (string | Buffer)[], opcode: number): Buffer {
  const sizes = lines.map((line) => (typeof line === 'string' ? Buffer.byteLength(line) : line.length));
  let size = 0;
  for (const n of sizes) size += n + (n < 126 ? 2 : n < 65536 ? 4 : 10);
  const out = Buffer.allocUnsafe(size);
  let at = 0;
  for (const [i, line] of lines.entries()) {
    const n = sizes[i]!;
    out[at++] = 0x80 | opcode;
    if (n < 126) out[at++] = n;
    else if (n < 65536) {
      out[at++] = 126;
      out.writeUInt16BE(n, at);
      at += 2;
    } else {
      out[at++] = 127;
      out.writeBigUInt64BE(BigInt(n), at);
      at += 8;
    }
    at += typeof line === 'string' ? out.write(line, at) : line.copy(out, at);
  }
  return out;
}

/**
 * An IRC-over-WebSocket connection as the byte stream a session reads and writes (IRCv3's
 * WebSocket transport): each message the client sends is one IRC line, read as that line
 * and its LF; what the session writes is cut at its LFs (a CR before one dropped) and each
 * line goes as one message, text or (BINARY: `binary.ircv3.net`) binary.
 *
 * What the session writes in one turn goes out as one write of all its frames to the socket
 * under the WebSocket (framesOf), not a write a message as ws's send() makes: at thousands of
 * direct messages a second, a system call per line was most of what a WebSocket cost
 * (docs/benchmark.md). ws still reads the socket, and writes its own control frames (pong,
 * close) with whole writes of its own, so frames never interleave.
 *
 * Flow control is the socket's: a write is done when the socket has taken it, so a slow
 * browser fills this stream's buffer, which the session's sendq watches as it watches a TCP
 * socket's; a reader that does not keep up pauses the WebSocket, which stops reading its
 * socket.
 */
export class WebSocketStream extends Duplex {
  readonly #ws: WebSocket;
  readonly #socket: net.Socket;
  readonly #opcode: number;
  /** Lines read and not pushed yet: this turn's (see 'message'). */
  #read: Buffer[] = [];
  readonly #flush = (): void => {
    const read = this.#read;
    this.#read = [];
    if (this.destroyed || read.length === 0) return;
    // Always a copy: ws hands a message over as a slice of the socket's read, and a line that
    // waits (flood control) would keep the whole read, 64 KiB, alive for its few bytes.
    if (!this.push(Buffer.concat(read))) this.#ws.pause();
  };
  /** What the session wrote after its last LF: the start of a line, sent with the rest. */
  #partial: Buffer = EMPTY;

  /** SOCKET: the one under WS (TCP, or TLS), which this stream writes its frames to. */
  constructor(ws: WebSocket, socket: net.Socket, binary: boolean) {
    // Half-open as a TCP connection is: once the WebSocket has closed, what it sent is still
    // answered (lines waiting for flood control, a QUIT's reason) before the session ends
    // this side. Strings stay strings: a line is encoded once, into its frame (framesOf).
    super({ allowHalfOpen: true, decodeStrings: false });
    this.#ws = ws;
    this.#socket = socket;
    this.#opcode = binary ? BINARY : TEXT;
    ws.on('message', (data) => {
      // A text message was checked as UTF-8 by ws (an invalid one closes with 1007); a binary
      // one goes to the dialect as bytes, which turns what is not UTF-8 into U+FFFD.
      const whole = Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data);
      // A message is one IRC line: a CR or LF in it ends it, and what follows is no command.
      const cut = lineEnd(whole);
      const bytes = cut < 0 ? whole : whole.subarray(0, cut);
      // The messages of one read of the socket (ws parses them all at once) go to the session
      // as one chunk, as a TCP read of several lines does: a push each cost as much again.
      if (this.#read.length === 0) queueMicrotask(this.#flush);
      this.#read.push(bytes, NEWLINE);
    });
    ws.once('close', () => {
      // What came before the close is read, to its end, as a TCP peer's FIN is: the lines
      // waiting for flood control and a QUIT's reason are handled, then the session closes.
      this.#flush();
      this.push(null);
    });
    ws.on('error', (err) => this.destroy(err));
  }

  override _read(): void {
    this.#ws.resume();
  }

  override _write(chunk: string | Buffer, _encoding: BufferEncoding, done: (error?: Error | null) => void): void {
    this._writev([{ chunk }], done);
  }

  /** A turn's writes at once (the session corks its stream): their lines as one write of frames. */
  override _writev(chunks: { chunk: string | Buffer }[], done: (error?: Error | null) => void): void {
    const lines: (string | Buffer)[] = [];
    for (const { chunk } of chunks) {
      // A line cut between two writes (never by the session, which writes whole lines).
      const whole = this.#partial.length === 0 ? chunk : Buffer.concat([this.#partial, Buffer.from(chunk)]);
      const rest = typeof whole === 'string' ? linesOfText(whole, lines) : linesOfBytes(whole, lines);
      this.#partial = rest === '' || rest.length === 0 ? EMPTY : Buffer.from(rest);
    }
    if (lines.length === 0 || this.#ws.readyState !== this.#ws.OPEN || !this.#socket.writable) return done();
    this.#socket.write(framesOf(lines, this.#opcode), (err) => done(err ?? null));
  }

  override _final(done: (error?: Error | null) => void): void {
    // A normal close: the browser reads everything sent before it.
    if (this.#ws.readyState === this.#ws.OPEN) this.#ws.close(1000);
    done();
  }

  override _destroy(error: Error | null, done: (error?: Error | null) => void): void {
    // CLOSING too: a peer that never answers our close frame must not hold its socket for
    // ws's 30 s close timeout, counted against no limit (the session is gone).
    if (this.#ws.readyState !== this.#ws.CLOSED) this.#ws.terminate();
    done(error);
  }
}

// The lines of what the session wrote, each without its LF and the CR before one (IRC's CRLF:
// a message holds neither), added to LINES; what follows the last LF is returned.
function linesOfText(text: string, lines: (string | Buffer)[]): string {
  let from = 0;
  for (let lf = text.indexOf('\n'); lf >= 0; lf = text.indexOf('\n', from)) {
    lines.push(text.slice(from, lf > from && text.charCodeAt(lf - 1) === CR ? lf - 1 : lf));
    from = lf + 1;
  }
  return text.slice(from);
}

function linesOfBytes(bytes: Buffer, lines: (string | Buffer)[]): Buffer {
  let from = 0;
  for (let lf = bytes.indexOf(LF); lf >= 0; lf = bytes.indexOf(LF, from)) {
    lines.push(bytes.subarray(from, lf > from && bytes[lf - 1] === CR ? lf - 1 : lf));
    from = lf + 1;
  }
  return bytes.subarray(from);
}

/** Where the first CR or LF of BYTES is, or -1. */
function lineEnd(bytes: Buffer): number {
  const lf = bytes.indexOf(LF);
  const cr = bytes.indexOf(CR);
  return lf < 0 ? cr : cr < 0 ? lf : Math.min(cr, lf);
}
