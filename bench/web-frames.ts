/**
 * The load generator's WebSocket frames: a turn's IRC lines for one connection, each one
 * masked text frame (RFC 6455, 5.2), in one Buffer, so that a turn is one write as it is for
 * the TCP dialects. ws's own `send` writes each message by itself (two buffers between a
 * `cork` and an `uncork`: a system call a message).
 *
 * Each frame has a mask of its own that is never zero, as a browser's is: ws skips the
 * unmasking of a zero mask, so a zero one would spare the server work a real client costs it.
 */
import { randomFillSync } from 'node:crypto';

const LF = 10;
/** Random bytes for the masks, refilled when used up. */
const pool = Buffer.allocUnsafe(64 * 1024);
let used = pool.length;
/** TEXT as bytes (latin1: the load generator's lines are ASCII), reused from turn to turn. */
let scratch = Buffer.allocUnsafe(64 * 1024);

/**
 * TEXT is lines each ended by LF (no CR: one line, one message, IRCv3's WebSocket transport);
 * the frames of its lines, client to server. Lines are ASCII and shorter than 64 KiB.
 */
export function frameLines(text: string): Buffer {
  const n = text.length;
  if (scratch.length < n) scratch = Buffer.allocUnsafe(Math.max(n, scratch.length * 2));
  scratch.write(text, 0, n, 'latin1');
  // A view of the N bytes: indexOf must not search the stale rest of the scratch buffer.
  const bytes = scratch.subarray(0, n);
  let lines = 0;
  for (let p = bytes.indexOf(LF, 0); p !== -1; p = bytes.indexOf(LF, p + 1)) lines++;
  // Per line: 2 header bytes (4 from 126 bytes on), 4 of mask; the LF is not sent. A last
  // line without its LF: 8 more.
  const out = Buffer.allocUnsafe(n + lines * 7 + 8);
  let o = 0;
  let start = 0;
  while (start < n) {
    let end = bytes.indexOf(LF, start);
    if (end === -1) end = n;
    const len = end - start;
    if (len > 0xffff) throw new RangeError(`a line of ${len} bytes: the load generator frames lines under 64 KiB`);
    out[o++] = 0x81; // FIN, text
    if (len < 126) out[o++] = 0x80 | len;
    else {
      out[o++] = 0x80 | 126;
      out[o++] = len >> 8;
      out[o++] = len & 0xff;
    }
    if (used + 4 > pool.length) {
      randomFillSync(pool);
      used = 0;
    }
    const m0 = pool[used]! | 1; // never a zero mask
    const m1 = pool[used + 1]!;
    const m2 = pool[used + 2]!;
    const m3 = pool[used + 3]!;
    used += 4;
    out[o++] = m0;
    out[o++] = m1;
    out[o++] = m2;
    out[o++] = m3;
    let i = 0;
    for (; i + 4 <= len; i += 4) {
      const s = start + i;
      out[o++] = bytes[s]! ^ m0;
      out[o++] = bytes[s + 1]! ^ m1;
      out[o++] = bytes[s + 2]! ^ m2;
      out[o++] = bytes[s + 3]! ^ m3;
    }
    // The last 0 to 3 bytes: i is a multiple of 4 here.
    if (i < len) out[o++] = bytes[start + i]! ^ m0;
    if (i + 1 < len) out[o++] = bytes[start + i + 1]! ^ m1;
    if (i + 2 < len) out[o++] = bytes[start + i + 2]! ^ m2;
    start = end + 1;
  }
  return out.subarray(0, o);
}

/**
 * What a server sends, read back as a TCP read of lines is: each message's payload and an
 * LF, a read's messages in one buffer (the markers are found in it as in a TCP read). A
 * server's frames are not masked; control frames (a close, a ping) carry no line and are
 * skipped. ws's reading (a Writable, a Buffer and an event a message) cost the load
 * generator more CPU a message than its TCP reading, which changed how the server's work
 * batched: the WebSocket row measured the client too (docs/benchmark.md).
 */
export class ServerFrames {
  #rest: Buffer | undefined;

  /** CHUNK, one read: the payloads of the text and binary frames it completes, each ended by LF. */
  read(chunk: Buffer): Buffer {
    const data = this.#rest === undefined ? chunk : Buffer.concat([this.#rest, chunk]);
    this.#rest = undefined;
    const out = Buffer.allocUnsafe(data.length);
    let o = 0;
    let at = 0;
    while (data.length - at >= 2) {
      const opcode = data[at]! & 0x0f;
      let length = data[at + 1]! & 0x7f;
      let head = 2;
      if (length === 126) {
        if (data.length - at < 4) break;
        length = data.readUInt16BE(at + 2);
        head = 4;
      } else if (length === 127) {
        if (data.length - at < 10) break;
        length = Number(data.readBigUInt64BE(at + 2));
        head = 10;
      }
      if (data.length - at < head + length) break;
      if (opcode < 0x8) {
        data.copy(out, o, at + head, at + head + length);
        o += length;
        out[o++] = LF;
      }
      at += head + length;
    }
    if (at < data.length) this.#rest = Buffer.from(data.subarray(at));
    return out.subarray(0, o);
  }
}
