import { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';

const LF = 0x0a;

/**
 * An IRC-over-WebSocket connection as the byte stream a session reads and writes (IRCv3's
 * WebSocket transport): each message the client sends is one IRC line, read as that line
 * and its LF; what the session writes is cut at its LFs (a CR before one dropped) and each
 * line goes as one message, text or (BINARY: `binary.ircv3.net`) binary.
 *
 * Flow control is the socket's: a message is written when the last frame of a write has
 * reached the socket, so a slow browser fills this stream's buffer, which the session's
 * sendq watches as it watches a TCP socket's; a reader that does not keep up pauses the
 * WebSocket, which stops reading its socket.
 */
export class WebSocketStream extends Duplex {
  readonly #ws: WebSocket;
  readonly #binary: boolean;
  /** What the session wrote after its last LF: the start of a line, sent with the rest. */
  #partial = '';

  constructor(ws: WebSocket, binary: boolean) {
    // A close of the WebSocket is a close of both directions: there is no half-close.
    super({ allowHalfOpen: false, decodeStrings: false });
    this.#ws = ws;
    this.#binary = binary;
    ws.on('message', (data) => {
      // A text message was checked as UTF-8 by ws (an invalid one closes with 1007); a binary
      // one goes to the dialect as bytes, which turns what is not UTF-8 into U+FFFD.
      const bytes = Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data);
      const line = bytes.length > 0 && bytes[bytes.length - 1] === LF ? bytes : Buffer.concat([bytes, Buffer.from('\n')]);
      if (!this.push(line)) ws.pause();
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

  override _write(chunk: Buffer | string, _encoding: BufferEncoding, done: (error?: Error | null) => void): void {
    const text = this.#partial + (typeof chunk === 'string' ? chunk : chunk.toString());
    const end = text.lastIndexOf('\n');
    if (end < 0) {
      this.#partial = text;
      return done();
    }
    this.#partial = text.slice(end + 1);
    const lines = text.slice(0, end).split('\n');
    if (this.#ws.readyState !== this.#ws.OPEN) return done();
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i]!;
      const message = line.endsWith('\r') ? line.slice(0, -1) : line;
      const last = i === lines.length - 1;
      this.#ws.send(this.#binary ? Buffer.from(message) : message, { binary: this.#binary }, last ? (err) => done(err ?? null) : undefined);
    }
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
