import { Duplex } from 'node:stream';
import { datagramLines, packLines } from '../dialects/line/datagrams.js';

/**
 * Bytes of datagrams held for a session that is not reading (flood control, a password
 * check). Beyond it datagrams are dropped, as the kernel would drop them: a UDP sender
 * gets no backpressure, so the bound must be ours, and in bytes.
 */
export const INBOX_BYTES = 64 * 1024;
/** What holding one datagram costs beyond its bytes (a Buffer and its slot): one-byte floods pay it too. */
const PER_DATAGRAM_BYTES = 64;

/**
 * One verified UDP address as the duplex stream the core serves (STYLE.md, point 1).
 * Datagrams in become LF-ended lines on the readable side; what the core writes goes out
 * as datagrams of whole lines, packed once per event-loop turn. write() never pushes back:
 * there is no send queue to overflow, and what the network drops is dropped.
 */
export class UdpStream extends Duplex {
  #inbox: Buffer[] = [];
  #inboxBytes = 0;
  /** The reader asked for data and got none: the next datagram goes to it at once. */
  #wanted = false;
  #out: Buffer[] = [];
  #flushScheduled = false;

  constructor(private readonly sendDatagram: (payload: Buffer) => void) {
    // No backpressure on writes (see above); reads are handed over one batch at a time.
    super({ writableHighWaterMark: Number.MAX_SAFE_INTEGER, readableHighWaterMark: 1, decodeStrings: true });
  }

  /** A datagram from the peer. False when it was dropped: the reader is behind. */
  receive(payload: Buffer): boolean {
    if (this.destroyed || this.readableEnded || this.writableEnded) return false;
    const lines = datagramLines(payload);
    if (lines.length === 0) return true;
    if (this.#wanted) {
      this.#wanted = false;
      this.push(lines);
      return true;
    }
    const cost = lines.length + PER_DATAGRAM_BYTES;
    // One datagram is always taken, however big: it is answered "line too long", not lost.
    if (this.#inbox.length > 0 && this.#inboxBytes + cost > INBOX_BYTES) return false;
    this.#inbox.push(lines);
    this.#inboxBytes += cost;
    return true;
  }

  /** Bytes held for the reader, datagram overhead included. */
  get heldBytes(): number {
    return this.#inboxBytes;
  }

  override _read(): void {
    if (this.#inbox.length === 0) {
      this.#wanted = true;
      return;
    }
    const batch = this.#inbox.length === 1 ? this.#inbox[0]! : Buffer.concat(this.#inbox);
    this.#inbox = [];
    this.#inboxBytes = 0;
    this.push(batch);
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.#out.push(chunk);
    if (!this.#flushScheduled) {
      this.#flushScheduled = true;
      setImmediate(() => this.#flush());
    }
    callback();
  }

  /** The session ended (a /quit, a close): its last lines go now, then the stream is gone. */
  override _final(callback: (error?: Error | null) => void): void {
    this.#flush();
    callback();
    process.nextTick(() => this.destroy());
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.#inbox = [];
    this.#inboxBytes = 0;
    this.#out = [];
    callback(error);
  }

  #flush(): void {
    this.#flushScheduled = false;
    if (this.#out.length === 0) return;
    const bytes = this.#out.length === 1 ? this.#out[0]! : Buffer.concat(this.#out);
    this.#out = [];
    for (const payload of packLines(bytes)) this.sendDatagram(payload);
  }
}
