import type net from 'node:net';
import { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';

const LF = 0x0a;
const CR = 0x0d;
const NEWLINE = Buffer.from('\n');

/** WebSocket opcodes (RFC 6455, 5.2) of the two kinds of message. */
const TEXT = 0x1;
const BINARY = 0x2;

/**
 * The frames of LINES, each one whole message (FIN set, not masked: a server's frames never
 * are), as one buffer. RFC 6455, 5.2: a length under 126 fits the second byte; under 65536,
 * 126 and two bytes; else 127 and eight.
 */
export function framesOf(lines: readonly Buffer[], opcode: number): Buffer {
  let size = 0;
  for (const line of lines) size += line.length + (line.length < 126 ? 2 : line.length < 65536 ? 4 : 10);
  const out = Buffer.allocUnsafe(size);
  let at = 0;
  for (const line of lines) {
    out[at++] = 0x80 | opcode;
    if (line.length < 126) out[at++] = line.length;
    else if (line.length < 65536) {
      out[at++] = 126;
      out.writeUInt16BE(line.length, at);
      at += 2;
    } else {
      out[at++] = 127;
      out.writeBigUInt64BE(BigInt(line.length), at);
      at += 8;
    }
    at += line.copy(out, at);
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
  /** What the session wrote after its last LF: the start of a line, sent with the rest. */
  #partial: Buffer = Buffer.alloc(0);

  /** SOCKET: the one under WS (TCP, or TLS), which this stream writes its frames to. */
  constructor(ws: WebSocket, socket: net.Socket, binary: boolean) {
    // A close of the WebSocket is a close of both directions: there is no half-close.
    super({ allowHalfOpen: false });
    this.#ws = ws;
    this.#socket = socket;
    this.#opcode = binary ? BINARY : TEXT;
    ws.on('message', (data) => {
      // A text message was checked as UTF-8 by ws (an invalid one closes with 1007); a binary
      // one goes to the dialect as bytes, which turns what is not UTF-8 into U+FFFD.
      const bytes = Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data);
      const ended = bytes.length > 0 && bytes[bytes.length - 1] === LF;
      if (!this.push(bytes) || (!ended && !this.push(NEWLINE))) ws.pause();
    });
    ws.once('close', () => {
      this.push(null);
      this.destroy();
    });
    ws.on('error', (err) => this.destroy(err));
  }

  override _read(): void {
    this.#ws.resume();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: (error?: Error | null) => void): void {
    this._writev([{ chunk }], done);
  }

  /** A turn's writes at once (the session corks its stream): their lines as one write of frames. */
  override _writev(chunks: { chunk: Buffer }[], done: (error?: Error | null) => void): void {
    const lines: Buffer[] = [];
    let rest = this.#partial;
    for (const { chunk } of chunks) {
      let from = 0;
      for (let lf = chunk.indexOf(LF); lf >= 0; lf = chunk.indexOf(LF, from)) {
        const line = rest.length > 0 ? Buffer.concat([rest, chunk.subarray(from, lf)]) : chunk.subarray(from, lf);
        // A CR before the LF is the dialect's (IRC's CRLF): a message holds neither.
        lines.push(line.length > 0 && line[line.length - 1] === CR ? line.subarray(0, -1) : line);
        rest = Buffer.alloc(0);
        from = lf + 1;
      }
      if (from < chunk.length) rest = rest.length > 0 ? Buffer.concat([rest, chunk.subarray(from)]) : chunk.subarray(from);
    }
    this.#partial = rest;
    if (lines.length === 0 || this.#ws.readyState !== this.#ws.OPEN || !this.#socket.writable) return done();
    this.#socket.write(framesOf(lines, this.#opcode), (err) => done(err ?? null));
  }

  override _final(done: (error?: Error | null) => void): void {
    // A normal close: the browser reads everything sent before it.
    if (this.#ws.readyState === this.#ws.OPEN) this.#ws.close(1000);
    done();
  }

  override _destroy(error: Error | null, done: (error?: Error | null) => void): void {
    if (this.#ws.readyState === this.#ws.OPEN || this.#ws.readyState === this.#ws.CONNECTING) this.#ws.terminate();
    done(error);
  }
}
