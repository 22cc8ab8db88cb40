/**
 * The frames of a link between two servers of a cluster (peers.ts), as pure functions: a 4-byte big-endian length of
 * what follows, a type byte, then the payload.
 *
 *   N NONCE             the listening server's challenge, first thing on a new connection
 *   P ID PROOF          the connecting server: its id, and HMAC-SHA256(secret, "NONCE ID") in hex
 *   K                   the proof holds: batches may come
 *   B SEQ AFTER\n<entry>  a batch: its number on this link, the id of the last stream entry its
 *                       sender had added before it ('-' for none), then the entry as the stream
 *                       would hold it (cluster-message.ts)
 *   A SEQ               batches up to SEQ were handed to their users
 */
export type FrameType = 'N' | 'P' | 'K' | 'B' | 'A';

export interface Frame {
  type: FrameType;
  payload: Buffer;
}

const TYPES = new Set<number>(['N', 'P', 'K', 'B', 'A'].map((t) => t.charCodeAt(0)));

/** The first 5 bytes of a frame whose payload is SIZE bytes. */
export function frameHead(type: FrameType, size: number): Buffer {
  const head = Buffer.allocUnsafe(5);
  head.writeUInt32BE(size + 1, 0);
  head[4] = type.charCodeAt(0);
  return head;
}

/** One short frame, whole. */
export function frame(type: FrameType, payload: string): Buffer {
  const body = Buffer.from(payload, 'latin1');
  return Buffer.concat([frameHead(type, body.length), body]);
}

/**
 * Cuts a connection's bytes into frames, however they were split. A frame longer than MAX
 * bytes, or of no known type, makes the connection one to close: push answers `bad` and
 * keeps nothing more.
 */
export class FrameReader {
  #held: Buffer[] = [];
  #heldBytes = 0;
  #bad = false;

  constructor(public max: number) {}

  push(chunk: Buffer): Frame[] | 'bad' {
    if (this.#bad) return 'bad';
    this.#held.push(chunk);
    this.#heldBytes += chunk.length;
    const frames: Frame[] = [];
    while (this.#heldBytes >= 4) {
      // The length is read from the first buffer, joined only when it is split.
      const head = this.#held[0]!.length >= 4 ? this.#held[0]! : this.#join();
      const size = head.readUInt32BE(0);
      if (size < 1 || size > this.max) return this.#fail();
      if (this.#heldBytes < 4 + size) break;
      const all = this.#held.length === 1 ? this.#held[0]! : this.#join();
      const type = all[4]!;
      if (!TYPES.has(type)) return this.#fail();
      frames.push({ type: String.fromCharCode(type) as FrameType, payload: all.subarray(5, 4 + size) });
      const rest = all.subarray(4 + size);
      this.#held = rest.length > 0 ? [rest] : [];
      this.#heldBytes = rest.length;
    }
    return frames;
  }

  #join(): Buffer {
    const joined = Buffer.concat(this.#held, this.#heldBytes);
    this.#held = [joined];
    return joined;
  }

  #fail(): 'bad' {
    this.#bad = true;
    this.#held = [];
    this.#heldBytes = 0;
    return 'bad';
  }
}
