import type net from 'node:net';
import { Duplex } from 'node:stream';
import { CLOSE_CODE, FrameReader, OPCODE } from './web-frame-reader.js';

const LF = 0x0a;
const CR = 0x0d;
const EMPTY = Buffer.alloc(0);

/** How long a socket whose close frame is written may take to send it, once its session is gone. */
const CLOSE_FLUSH_MS = 1000;

/** What the socket may hold unsent before a ping goes unanswered: about a read's worth. */
const PONG_BACKLOG = 64 * 1024;

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
 * WebSocket transport), on the socket the handshake was made on (WebListener): each message
 * the client sends is one IRC line (FrameReader), read as that line and its LF; what the
 * session writes is cut at its LFs (a CR before one dropped) and each line goes as one
 * message, text or (BINARY: `binary.ircv3.net`) binary.
 *
 * The frames of a read go to the session as one chunk, as a TCP read of several lines does,
 * and what the session writes in one turn goes out as one write of all its frames (framesOf):
 * at thousands of direct messages a second, an event a message and a system call a line were
 * most of what a WebSocket cost (docs/benchmark.md). Control frames (pong, close) are whole
 * writes of their own, so frames never interleave.
 *
 * Flow control is the socket's: a write is done when the socket has taken it, so a slow
 * browser fills this stream's buffer, which the session's sendq watches as it watches a TCP
 * socket's; a reader that does not keep up pauses the socket.
 */
export class WebSocketStream extends Duplex {
  readonly #socket: net.Socket;
  readonly #opcode: number;
  readonly #reader: FrameReader;
  /** Our close frame is sent: no data frame may follow it (RFC 6455, 5.5.1). */
  #closeSent = false;
  /** What the session wrote after its last LF: the start of a line, sent with the rest. */
  #partial: Buffer = EMPTY;

  /**
   * SOCKET: the one the handshake was made on (TCP, or TLS); HEAD: what the client sent
   * after its request, frames already. MAX_MESSAGE: the largest message it may send.
   */
  constructor(socket: net.Socket, head: Buffer, binary: boolean, maxMessage: number) {
    // Half-open as a TCP connection is: once the client has closed, what it sent before is
    // still read to its end (lines waiting for flood control, a QUIT's reason) before the
    // session ends this side. Strings stay strings: a line is encoded once, into its frame.
    super({ allowHalfOpen: true, decodeStrings: false });
    this.#socket = socket;
    this.#opcode = binary ? OPCODE.binary : OPCODE.text;
    this.#reader = new FrameReader(maxMessage, (payload) => this.#control(OPCODE.pong, payload));
    socket.setTimeout(0);
    socket.on('data', (chunk: Buffer) => this.#received(chunk));
    // A client gone without a close frame: what it sent is read, then the stream ends.
    socket.once('end', () => this.push(null));
    // Closed under us (a reset): the session still handles what was read, as over TCP; its
    // writes from then on are dropped, and its end ends this stream.
    socket.once('close', () => {
      if (!this.readableEnded) this.push(null);
    });
    socket.on('error', (err) => this.destroy(err));
    // A write that went straight to the socket (write) and found it behind is done when the
    // socket drains: the session waits for this stream's 'drain'.
    socket.on('drain', () => this.emit('drain'));
    // Paused by the session (flood control, a full inbox) as it pauses a TCP socket: the
    // socket is not read meanwhile. Otherwise its reads would only fill this stream's buffer,
    // which counts bytes: 16 KiB of the empty lines that frames without a line are charged as.
    this.on('pause', () => this.#socket.pause());
    this.on('resume', () => {
      if (this.#reader.end === undefined) this.#socket.resume();
    });
    if (head.length > 0) this.#received(head);
  }

  #received(chunk: Buffer): void {
    const lines = this.#reader.read(chunk);
    if (lines !== undefined && !this.push(lines)) this.#socket.pause();
    const end = this.#reader.end;
    if (end === undefined) return;
    // The client closed, or broke a rule: our close frame answers, with the code the RFC
    // gives (echoed, or the broken rule's), then our side of the socket ends.
    this.#socket.removeAllListeners('data');
    this.#close(end.code, end.byPeer ? '' : end.reason);
    this.push(null);
  }

  /** Our close frame with CODE (none if undefined) and REASON, then the end of our side of the socket. */
  #close(code: number | undefined, reason: string): void {
    if (this.#closeSent) return;
    let payload = EMPTY;
    if (code !== undefined) {
      payload = Buffer.alloc(2 + Buffer.byteLength(reason));
      payload.writeUInt16BE(code, 0);
      payload.write(reason, 2);
    }
    this.#control(OPCODE.close, payload);
    this.#closeSent = true;
    this.#socket.end();
  }

  /**
   * A control frame, unless our close frame went: a pong waits for nothing. A client that
   * pings and never reads gets no more pongs once the socket holds a read's worth unsent.
   */
  #control(opcode: number, payload: Buffer): void {
    if (this.#closeSent || !this.#socket.writable) return;
    if (opcode === OPCODE.pong && this.#socket.writableLength > PONG_BACKLOG) return;
    this.#socket.write(framesOf([payload], opcode));
  }

  override _read(): void {
    // Not while the session has paused this stream: Readable asks for more on its own then,
    // to fill its buffer (maybeReadMore), and the socket would be read on.
    if (this.#reader.end === undefined && this.readableFlowing !== false) this.#socket.resume();
  }

  /**
   * A turn's output straight to the socket when nothing waits before it, here or in the
   * socket, and it is ASCII lines: the session writes one string a turn to most connections,
   * and through this stream's own Writable it cost a second round of bookkeeping (its
   * buffer, its callbacks, their ticks) over the socket's. Anything else, or once something
   * waits, goes the Writable's way, which keeps the order and counts what waits: the
   * session's --max-sendq reads writableLength, and a socket that is behind sends it there.
   * The socket's 'drain' is this stream's then (see the constructor).
   */
  override write(chunk: unknown, encoding?: BufferEncoding | WriteCallback, callback?: WriteCallback): boolean {
    if (
      typeof chunk === 'string' &&
      this.writableLength === 0 &&
      this.writableCorked === 0 &&
      !this.writableEnded &&
      !this.#closeSent &&
      this.#partial.length === 0 &&
      this.#socket.writable &&
      this.#socket.writableLength === 0 &&
      chunk.charCodeAt(chunk.length - 1) === LF &&
      ASCII.test(chunk)
    ) {
      const done = typeof encoding === 'function' ? encoding : callback;
      return this.#socket.write(asciiFrames(chunk, this.#opcode), 'latin1', done);
    }
    return typeof encoding === 'function' ? super.write(chunk, encoding) : super.write(chunk, encoding as BufferEncoding, callback);
  }

  override _write(chunk: string | Buffer, _encoding: BufferEncoding, done: (error?: Error | null) => void): void {
    this._writev([{ chunk }], done);
  }

  /** A turn's writes at once (the session corks its stream): their lines as one write of frames. */
  override _writev(chunks: { chunk: string | Buffer }[], done: (error?: Error | null) => void): void {
    if (this.#closeSent || !this.#socket.writable) return done();
    // Most turns: whole lines of ASCII text (direct messages, replies). Their frames are a
    // string too, of single bytes, written as latin1: no Buffer is made nor encoded into.
    if (this.#partial.length === 0) {
      const text = chunks.length === 1 ? chunks[0]!.chunk : textOf(chunks);
      if (typeof text === 'string' && text.charCodeAt(text.length - 1) === LF && ASCII.test(text)) {
        this.#socket.write(asciiFrames(text, this.#opcode), 'latin1', (err) => done(err ?? null));
        return;
      }
    }
    const lines: (string | Buffer)[] = [];
    for (const { chunk } of chunks) {
      // A line cut between two writes (never by the session, which writes whole lines).
      const whole = this.#partial.length === 0 ? chunk : Buffer.concat([this.#partial, Buffer.from(chunk)]);
      const rest = typeof whole === 'string' ? linesOfText(whole, lines) : linesOfBytes(whole, lines);
      this.#partial = rest === '' || rest.length === 0 ? EMPTY : Buffer.from(rest);
    }
    if (lines.length === 0) return done();
    this.#socket.write(framesOf(lines, this.#opcode), (err) => done(err ?? null));
  }

  override _final(done: (error?: Error | null) => void): void {
    // A normal close: the browser reads everything sent before it.
    this.#close(CLOSE_CODE.normal, '');
    done();
  }

  override _destroy(error: Error | null, done: (error?: Error | null) => void): void {
    if (!this.#closeSent) this.#socket.destroy();
    else {
      // Our close frame and the end are written: the socket goes once they are out (over TLS
      // they may still wait in it, behind the 101), or after CLOSE_FLUSH_MS whatever the
      // client does: a peer that never reads holds no socket long once its session is gone.
      const socket = this.#socket;
      const timer = setTimeout(() => socket.destroy(), CLOSE_FLUSH_MS);
      timer.unref();
      socket.once('close', () => clearTimeout(timer));
      if (socket.writableFinished) socket.destroy();
      else socket.once('finish', () => socket.destroy());
    }
    done(error);
  }
}

const ASCII = /^[\x00-\x7f]*$/;

type WriteCallback = (error: Error | null | undefined) => void;

/** CHUNKS joined, when all are strings; undefined otherwise. */
function textOf(chunks: { chunk: string | Buffer }[]): string | undefined {
  let text = '';
  for (const { chunk } of chunks) {
    if (typeof chunk !== 'string') return undefined;
    text += chunk;
  }
  return text;
}

/**
 * The frames of TEXT's lines (ASCII, each ended by LF, a CR before one dropped) as a string
 * of single bytes, to be written as latin1: what framesOf makes of them, without a Buffer.
 */
export function asciiFrames(text: string, opcode: number): string {
  let frames = '';
  let from = 0;
  for (let lf = text.indexOf('\n'); lf >= 0; lf = text.indexOf('\n', from)) {
    const end = lf > from && text.charCodeAt(lf - 1) === CR ? lf - 1 : lf;
    const n = end - from;
    frames +=
      n < 126
        ? String.fromCharCode(0x80 | opcode, n)
        : n < 65536
          ? String.fromCharCode(0x80 | opcode, 126, n >> 8, n & 0xff)
          : String.fromCharCode(0x80 | opcode, 127, 0, 0, 0, 0, (n >>> 24) & 0xff, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff);
    frames += text.slice(from, end);
    from = lf + 1;
  }
  return frames;
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
