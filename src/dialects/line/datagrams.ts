/**
 * Lines to datagrams and back (docs/protocol.md, "UDP"). Pure: no sockets here.
 */

/**
 * Largest datagram we build from several lines. 1200 bytes fits the smallest path MTU that
 * matters (IPv6's 1280 minus headers) without fragmenting, as QUIC chose.
 */
export const DATAGRAM_BYTES = 1200;

const LF = 0x0a;

/**
 * Packs BYTES (whole lines, each ended by LF) into payloads of at most MAX bytes, several
 * lines to a payload. A line is never split: one longer than MAX goes alone.
 */
export function packLines(bytes: Buffer, max = DATAGRAM_BYTES): Buffer[] {
  const payloads: Buffer[] = [];
  let start = 0;
  let end = 0;
  while (end < bytes.length) {
    const lf = bytes.indexOf(LF, end);
    const lineEnd = lf === -1 ? bytes.length : lf + 1;
    if (lineEnd - start > max && end > start) {
      payloads.push(bytes.subarray(start, end));
      start = end;
    }
    end = lineEnd;
  }
  if (end > start) payloads.push(bytes.subarray(start, end));
  return payloads;
}

/**
 * What a datagram gives the line reader: its lines, the last one ended by an LF when it has
 * none, so that a line never continues into the next datagram (which may be lost or come
 * first). Empty for an empty datagram.
 */
export function datagramLines(payload: Buffer): Buffer {
  if (payload.length === 0 || payload[payload.length - 1] === LF) return payload;
  return Buffer.concat([payload, Buffer.from([LF])]);
}

/**
 * The first line of PAYLOAD (CR before its LF dropped) and the bytes after it. Only the
 * first `limit` bytes are looked at: the caller wants a short command, not a flood's text.
 */
export function firstLine(payload: Buffer, limit = 256): { line: string; rest: Buffer } | undefined {
  const lf = payload.indexOf(LF);
  const end = lf === -1 ? payload.length : lf;
  if (end > limit) return undefined;
  const line = payload.subarray(0, end > 0 && payload[end - 1] === 0x0d ? end - 1 : end).toString('latin1');
  return { line, rest: lf === -1 ? Buffer.alloc(0) : payload.subarray(lf + 1) };
}
